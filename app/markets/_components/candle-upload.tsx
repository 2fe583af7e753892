'use client';
import { useRouter } from 'next/navigation';
import { useId, useRef, useState, type FormEvent } from 'react';
import { SubmitButton } from '@/app/_components/submit-button';
import { fmtFractionPct } from '@/app/_components/format';

/** What `POST /api/v1/candles` answers with 200. */
interface ImportResult {
  exchange: string;
  symbol: string;
  timeframe: string;
  parsed: number;
  inserted: number;
  warnings: string[];
  warningCount: number;
}

type UploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; loaded: number; total: number }
  | { phase: 'importing' }
  | { phase: 'done'; file: string; result: ImportResult }
  | { phase: 'refused'; message: string; lines: string[] };

/**
 * Error lines as the CLI import prints them (`FILE:LINE: field "high" was "abc": not a number`), from the
 * API's field errors (`line N` → detail), with the uploaded file's name; other refusals keep their message.
 */
function refusalLines(file: string, body: unknown): { message: string; lines: string[] } {
  const error = (body as { error?: { message?: string; fieldErrors?: Record<string, string[]> } } | null)?.error;
  const lines: string[] = [];
  const fields: string[] = [];
  for (const [key, details] of Object.entries(error?.fieldErrors ?? {})) {
    const line = /^line (\d+)$/.exec(key);
    for (const detail of details) (line ? lines : fields).push(line ? `${file}:${line[1]}: ${detail}` : `${key}: ${detail}`);
  }
  return { message: fields.length > 0 ? fields.join('; ') : (error?.message ?? 'The upload failed.'), lines };
}

/**
 * Uploads a candle CSV to `POST /api/v1/candles` (the engine's CSV import, all-or-nothing) with the
 * upload's progress, then the import's outcome: rows stored, or the line and field that refused the
 * file (nothing is stored then). Refreshes the page's market list after a success.
 */
export function CandleUpload({ exchanges, timeframes }: { exchanges: readonly string[]; timeframes: readonly string[] }) {
  const router = useRouter();
  const id = useId();
  const [state, setState] = useState<UploadState>({ phase: 'idle' });
  const request = useRef<XMLHttpRequest | null>(null);
  const busy = state.phase === 'uploading' || state.phase === 'importing';

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setState({ phase: 'refused', message: 'Choose a non-empty CSV file.', lines: [] });
      return;
    }
    const query = new URLSearchParams({ exchange: String(form.get('exchange') ?? '').trim(), symbol: String(form.get('symbol') ?? '').trim(), timeframe: String(form.get('timeframe') ?? '') });
    const xhr = new XMLHttpRequest();
    request.current = xhr;
    xhr.open('POST', `/api/v1/candles?${query}`);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => setState({ phase: 'uploading', loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    // Sent: the server now checks every row, then stores the file in one transaction.
    xhr.upload.onload = () => setState({ phase: 'importing' });
    xhr.onload = () => {
      request.current = null;
      if (xhr.status === 200) {
        setState({ phase: 'done', file: file.name, result: xhr.response as ImportResult });
        router.refresh();
      } else {
        const refused = refusalLines(file.name, xhr.response);
        setState({ phase: 'refused', message: xhr.status === 413 ? 'The file is larger than the server accepts (50 MB); split it or use the CLI.' : refused.message, lines: refused.lines });
      }
    };
    xhr.onerror = () => {
      request.current = null;
      setState({ phase: 'refused', message: 'The upload did not reach the server (network error).', lines: [] });
    };
    xhr.onabort = () => {
      request.current = null;
      setState({ phase: 'refused', message: 'Upload cancelled; nothing was imported.', lines: [] });
    };
    setState({ phase: 'uploading', loaded: 0, total: file.size });
    xhr.send(file);
  }

  return (
    <form className="action-form" onSubmit={onSubmit} data-testid="candle-upload" aria-describedby={`${id}-help`}>
      <p className="muted" id={`${id}-help`}>
        A CSV with the header <code>timestamp_ms,open,high,low,close,volume</code> (open time in epoch ms, UTC), as <code>npm run cli -- import-candles</code> reads.
        The whole file is checked first: one bad line refuses it and nothing is stored. Candles already stored are kept.
      </p>
      {/* A file input is wider than a phone's card: let it shrink with the form. */}
      <div className="field" style={{ minWidth: 0, maxWidth: '100%' }}>
        <label htmlFor={`${id}-file`}>CSV file</label>
        <input id={`${id}-file`} name="file" type="file" accept=".csv,text/csv" required style={{ width: '100%' }} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-exchange`}>Exchange</label>
        <input id={`${id}-exchange`} name="exchange" list={`${id}-exchanges`} defaultValue={exchanges[0]} required maxLength={64} />
        <datalist id={`${id}-exchanges`}>
          {exchanges.map((e) => (
            <option key={e} value={e} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor={`${id}-symbol`}>Symbol</label>
        <input id={`${id}-symbol`} name="symbol" placeholder="BTC/USDT" required maxLength={64} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-timeframe`}>Timeframe</label>
        <select id={`${id}-timeframe`} name="timeframe" defaultValue="1h">
          {timeframes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <SubmitButton busy={busy}>
        Upload and import
      </SubmitButton>
      {busy ? (
        <button type="button" onClick={() => request.current?.abort()}>
          Cancel
        </button>
      ) : null}
      <div aria-live="polite" data-testid="upload-status">
        {state.phase === 'uploading' && (
          <p>
            <progress className="progress" max={state.total || 1} value={state.loaded} aria-label="Upload progress" /> Uploading {fmtFractionPct(state.loaded / (state.total || 1), 0)}
          </p>
        )}
        {state.phase === 'importing' && (
          <p>
            <progress className="progress" aria-label="Import progress" /> Checking every line and storing…
          </p>
        )}
        {state.phase === 'done' && (
          <p role="status" data-testid="upload-result">
            Imported {state.file}: {state.result.parsed} candles read, {state.result.inserted} new, into {state.result.exchange} {state.result.symbol} {state.result.timeframe}
            {state.result.warningCount > 0 ? ` (${state.result.warningCount} gap${state.result.warningCount === 1 ? '' : 's'} in the file)` : ''}.
          </p>
        )}
      </div>
      {state.phase === 'refused' && (
        <div role="alert" className="error" data-testid="upload-error">
          <p>{state.lines.length > 0 ? 'The file was refused; nothing was imported.' : state.message}</p>
          {state.lines.length > 0 && (
            <ul>
              {state.lines.map((line) => (
                <li key={line}>
                  <code data-testid="upload-error-line">{line}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
