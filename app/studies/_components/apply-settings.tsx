'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import { ScrollTable } from '@/app/_components/scroll-table';
import { fmtTime } from '@/app/_components/format';

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/**
 * What "apply to account settings" changes (each parameter: saved now against the study's best, and
 * whether the strategy gets enabled), and for traders the button, which asks for confirmation first.
 * The action is audited with the params before and after.
 */
export function ApplySettings({
  studyId,
  strategy,
  accountId,
  saved,
  savedEnabled,
  best,
  canApply,
  appliedAtMs,
  apply,
}: {
  studyId: string;
  strategy: string;
  accountId: string;
  /** The stored params of the strategy now (null: none saved, the defaults apply). */
  saved: Record<string, unknown> | null;
  savedEnabled: boolean;
  best: Record<string, unknown>;
  canApply: boolean;
  appliedAtMs: number | null;
  apply: (input: unknown) => Promise<ActionResult<{ appliedAtMs: number | null; params: Record<string, unknown> | null }>>;
}) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const names = [...new Set([...Object.keys(best), ...Object.keys(saved ?? {})])];
  const changed = names.filter((n) => show(saved?.[n]) !== show(best[n]));
  return (
    <div data-testid="apply-settings">
      <p>
        Writes the best parameters into the saved <code>{strategy}</code> strategy settings (those on <a href="/strategies">Strategies</a>, shared by every account) and
        enables it{savedEnabled ? ' (already enabled)' : ''}; its fusion weight is kept. The study traded with account <code>{accountId}</code>&apos;s settings. {changed.length === 0 ? 'The saved parameters already equal the best ones.' : `${changed.length} parameter(s) change.`}
      </p>
      <ScrollTable label="Parameters before and after apply" className="apply-diff" data-testid="apply-diff">
        <caption className="sr-only">Each parameter: the saved value now and the value after apply</caption>
        <thead>
          <tr>
            <th scope="col">Parameter</th>
            <th scope="col">Saved now</th>
            <th scope="col">After apply</th>
          </tr>
        </thead>
        <tbody>
          {names.map((n) => (
            <tr key={n} data-testid="apply-row" data-param={n} data-changed={changed.includes(n) ? 'true' : 'false'}>
              <th scope="row">{n}</th>
              <td>{show(saved?.[n])}</td>
              <td>{changed.includes(n) ? <strong>{show(best[n])}</strong> : show(best[n])}</td>
            </tr>
          ))}
        </tbody>
      </ScrollTable>
      {appliedAtMs !== null && (
        <p className="muted" data-testid="applied-at">
          Last applied {fmtTime(appliedAtMs)} UTC.
        </p>
      )}
      {canApply ? (
        confirming ? (
          <p className="actions-row" role="group" aria-label="Confirm apply">
            <span>Apply these parameters to the saved settings?</span>{' '}
            <button
              type="button"
              className="primary"
              disabled={pending}
              data-testid="confirm-apply"
              onClick={() =>
                startTransition(async () => {
                  const result = await apply({ id: studyId });
                  setConfirming(false);
                  if (result.ok) {
                    setMessage({ ok: true, text: 'Applied: the strategy settings now hold the best parameters.' });
                    router.refresh();
                  } else {
                    setMessage({ ok: false, text: result.error.message });
                  }
                })
              }
            >
              {pending ? 'Applying…' : 'Yes, apply'}
            </button>{' '}
            <button type="button" onClick={() => setConfirming(false)} disabled={pending}>
              Cancel
            </button>
          </p>
        ) : (
          <p>
            <button type="button" onClick={() => setConfirming(true)} data-testid="apply-study">
              Apply to account settings
            </button>
          </p>
        )
      ) : (
        <p className="muted">Applying needs the trader role.</p>
      )}
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'muted' : 'error'} data-testid={message.ok ? 'apply-ok' : 'apply-error'}>
          {message.text}
        </p>
      )}
    </div>
  );
}
