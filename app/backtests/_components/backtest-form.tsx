'use client';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useState, useTransition, type FormEvent } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { BacktestProgress } from '../actions';
import { paramValueOf, type ParamField } from '@/app/_components/strategy-param-fields';
import { ModelFields } from '@/app/_components/models/model-fields';
import { modelsOfForm, type DeployedLoopModels } from '@/app/_components/models/model-form';
import { SubmitRow } from '@/app/_components/submit-button';
import { HydrationGate } from '@/app/_components/hydration-gate';
import { TIMEFRAME_MS } from '@/engine/core/types';

export interface MarketOption {
  exchange: string;
  symbol: string;
  timeframe: string;
  firstOpenTimeMs: number;
  lastOpenTimeMs: number;
}

export interface StrategyOption {
  name: string;
  /** built-in, file or rule. */
  source: string;
  version: string;
  /** Enabled in the saved strategy settings (checked when the form opens). */
  enabled: boolean;
  /** Its parameter inputs (from its params JSON Schema). */
  fields: ParamField[];
  /** Parameter name -> the saved value (what a blank field runs with). */
  saved: Record<string, unknown>;
}

/** An account the form can prefill from: its stored settings and risk limits. */
export interface AccountOption {
  id: string;
  name: string;
  paper: {
    marketType: 'spot' | 'futures';
    initialBalance: number;
    leverage: number;
    marginMode: 'cross' | 'isolated';
    makerFeeBps: number;
    takerFeeBps: number;
    spreadBps: number;
    slippageBps: number;
  };
  /** The account's limits; the VaR / ES limits are null when off. */
  risk: Record<(typeof RISK_FIELDS)[number]['key'], number | null>;
}

const PAPER_NUMBER_FIELDS = [
  { key: 'initialBalance', label: 'Initial balance (quote)' },
  { key: 'leverage', label: 'Leverage (futures)' },
  { key: 'makerFeeBps', label: 'Maker fee (bps)' },
  { key: 'takerFeeBps', label: 'Taker fee (bps)' },
  { key: 'spreadBps', label: 'Spread (bps, full)' },
  { key: 'slippageBps', label: 'Slippage (bps)' },
] as const;

/** The exits fieldset's number fields (blank = not set). */
const EXIT_FIELDS = [
  { key: 'takeProfitR', label: 'Take profit (R)' },
  { key: 'takeProfitPercent', label: 'or take profit (%)' },
  { key: 'trailingPercent', label: 'Trailing stop (%)' },
  { key: 'trailingAtr', label: 'or trailing stop (ATR ×)' },
  { key: 'timeStopBars', label: 'Time stop (bars)' },
] as const;

const RISK_FIELDS = [
  { key: 'riskPerTradePct', label: 'Risk per trade (% equity)' },
  { key: 'maxLossPctEquityPerTrade', label: 'Max loss per trade (% equity)' },
  { key: 'maxLeverage', label: 'Max gross leverage' },
  { key: 'maxSymbolExposurePct', label: 'Max exposure per market (% equity)' },
  { key: 'maxOpenPositions', label: 'Max open positions' },
  { key: 'dailyLossLimitPct', label: 'Daily loss breaker (%)', breaker: true },
  { key: 'maxDrawdownPct', label: 'Drawdown breaker (%)', breaker: true },
  { key: 'maxVarFraction', label: 'Max portfolio VaR (fraction of equity, 0.03 = 3 %; blank = account’s)' },
  { key: 'maxExpectedShortfallFraction', label: 'Max expected shortfall (fraction of equity)' },
  { key: 'varConfidence', label: 'VaR confidence (0–1, 0.99 = 99 %)' },
  { key: 'varLookbackCandles', label: 'VaR lookback (candles)' },
] as const;

/** A number field's value: blank = not set, a number, or the text as typed (the server names it "expected a number"). */
export function numberOrText(value: FormDataEntryValue | null): number | string | undefined {
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** Messages by field name, as the server action names its refusals (`paper.leverage`, `exits.roi`, ...). */
export type FieldErrors = Record<string, string[]>;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The id of a field's error message (what the input's aria-describedby names): `<prefix>-<name>-error`, as ModelFields names its own. */
export function fieldErrorId(idPrefix: string, name: string): string {
  return `${idPrefix}-${name}-error`;
}

/** The aria props of an input named `name`: invalid and described by its error while it has one. */
export function invalidProps(idPrefix: string, errors: FieldErrors) {
  return (name: string) => (errors[name]?.length ? { 'aria-invalid': true as const, 'aria-describedby': fieldErrorId(idPrefix, name) } : {});
}

/** A field's refusal messages next to it (nothing while it has none); `idPrefix` is the form's (`bt`, `st`). */
export function FieldError({ idPrefix, name, errors }: { idPrefix: string; name: string; errors: FieldErrors }) {
  const messages = errors[name];
  if (!messages?.length) return null;
  return (
    <span className="field-error" id={fieldErrorId(idPrefix, name)} data-testid={`field-error-${name}`}>
      {messages.join('; ')}
    </span>
  );
}

/** "Prefill from account": the account whose stored settings and limits fill {@link AccountFields}; nothing without accounts. */
export function AccountPrefill({
  idPrefix,
  accounts,
  accountId,
  onChange,
  errors,
}: {
  idPrefix: string;
  accounts: AccountOption[];
  accountId: string;
  onChange: (accountId: string) => void;
  errors: FieldErrors;
}) {
  if (accounts.length === 0) return null;
  return (
    <div className="field">
      <label htmlFor={`${idPrefix}-account`}>Prefill from account</label>
      <select id={`${idPrefix}-account`} value={accountId} onChange={(e) => onChange(e.target.value)} {...invalidProps(idPrefix, errors)('accountId')}>
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name} ({a.id})
          </option>
        ))}
      </select>
      <FieldError idPrefix={idPrefix} name="accountId" errors={errors} />
    </div>
  );
}

/** Polls the queued job until it finishes, then links to the run. */
function TicketProgress({ ticketId, poll }: { ticketId: string; poll: (input: unknown) => Promise<ActionResult<BacktestProgress>> }) {
  const { data, error } = useQuery({
    queryKey: ['backtest-ticket', ticketId],
    queryFn: async () => {
      const result = await poll({ ticketId });
      if (!result.ok) throw new Error(result.error.message);
      return result.data;
    },
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'succeeded' || status === 'failed' || status === 'cancelled' ? false : 750;
    },
  });
  if (error) return <p role="alert" className="error">Could not read the job: {error.message}</p>;
  if (!data) return <p aria-live="polite">Queued…</p>;
  return (
    <div aria-live="polite" data-testid="backtest-progress" data-status={data.status}>
      <p>
        Job <code>{ticketId.slice(0, 8)}</code>: <strong>{data.status}</strong>
        {data.message ? ` — ${data.message}` : ''}
      </p>
      <progress className="progress" max={1} value={data.progress} aria-label="Backtest progress" />
      {data.status === 'succeeded' && data.runId && (
        <p>
          <a href={`/backtests/${encodeURIComponent(data.runId)}`} data-testid="run-link">
            Open the results
          </a>
        </p>
      )}
      {(data.status === 'failed' || data.status === 'cancelled') && (
        <p role="alert" className="error" data-testid="backtest-failed">
          The backtest {data.status}: {data.error ?? 'no reason recorded'}
        </p>
      )}
    </div>
  );
}

/** Account settings and risk limits of the run, prefilled from the chosen account (remounted when it changes). */
export function AccountFields({ account, errors }: { account: AccountOption | undefined; errors: FieldErrors }) {
  const [breakers, setBreakers] = useState(false);
  const [marketType, setMarketType] = useState(account?.paper.marketType ?? 'spot');
  const invalid = invalidProps('bt', errors);
  const id = (name: string) => `bt-${name.replace('.', '-')}`;
  return (
    <>
      <fieldset className="strategy-box" data-testid="account-settings">
        <legend>Account settings{account ? ` (from "${account.name}")` : ''}</legend>
        <div className="filter-grid">
          <div className="field">
            <label htmlFor="bt-paper-marketType">Market type</label>
            <select id="bt-paper-marketType" name="paper.marketType" value={marketType} onChange={(e) => setMarketType(e.target.value as 'spot' | 'futures')} {...invalid('paper.marketType')}>
              <option value="spot">spot (long only)</option>
              <option value="futures">futures (long and short)</option>
            </select>
            <FieldError idPrefix="bt" name="paper.marketType" errors={errors} />
          </div>
          <div className="field">
            <label htmlFor="bt-paper-marginMode">Margin mode</label>
            <select id="bt-paper-marginMode" name="paper.marginMode" defaultValue={account?.paper.marginMode ?? 'cross'} {...invalid('paper.marginMode')}>
              <option value="cross">cross</option>
              <option value="isolated">isolated</option>
            </select>
            <FieldError idPrefix="bt" name="paper.marginMode" errors={errors} />
          </div>
          {PAPER_NUMBER_FIELDS.map((f) => {
            const name = `paper.${f.key}`;
            return (
              <div className="field" key={f.key}>
                <label htmlFor={id(name)}>{f.label}</label>
                <input id={id(name)} name={name} inputMode="decimal" defaultValue={account ? String(account.paper[f.key]) : ''} {...invalid(name)} />
                <FieldError idPrefix="bt" name={name} errors={errors} />
              </div>
            );
          })}
        </div>
      </fieldset>
      <fieldset className="strategy-box" data-testid="risk-settings">
        <legend>Risk limits</legend>
        <label>
          <input type="checkbox" name="breakers" checked={breakers} onChange={(e) => setBreakers(e.target.checked)} data-testid="breakers" /> Stop the run on the
          daily-loss / drawdown breakers (off: a research run trades its whole period)
        </label>
        <div className="filter-grid">
          {RISK_FIELDS.map((f) => {
            const name = `risk.${f.key}`;
            const off = 'breaker' in f && !breakers;
            return (
              <div className="field" key={f.key}>
                <label htmlFor={id(name)}>{f.label}</label>
                <input id={id(name)} name={name} inputMode="decimal" disabled={off} defaultValue={account ? String(account.risk[f.key] ?? '') : ''} {...invalid(name)} />
                <FieldError idPrefix="bt" name={name} errors={errors} />
              </div>
            );
          })}
        </div>
      </fieldset>
    </>
  );
}

/** The exits fieldset's values as the form schemas read them (`exitsFormSchema`): numbers or text as typed, the ROI table as JSON text. */
export function exitsOfForm(form: FormData): Record<string, unknown> {
  return {
    ...Object.fromEntries(EXIT_FIELDS.map((f) => [f.key, numberOrText(form.get(`exits.${f.key}`))])),
    roi: String(form.get('exits.roi') ?? ''),
  };
}

/**
 * The exits fieldset (backtest and study forms): take profit, trailing stop, time stop and the minimal
 * ROI table, blank = the strategy's own; with `closeAtEnd`, the "close at the end of the run" box too.
 */
export function ExitFields({ idPrefix, errors, closeAtEnd = false }: { idPrefix: string; errors: FieldErrors; closeAtEnd?: boolean }) {
  const invalid = invalidProps(idPrefix, errors);
  return (
    <fieldset className="strategy-box" data-testid="exit-settings">
      <legend>Exits (blank = the strategy&apos;s own, if any)</legend>
      <div className="filter-grid">
        {EXIT_FIELDS.map((f) => {
          const name = `exits.${f.key}`;
          return (
            <div className="field" key={f.key}>
              <label htmlFor={`${idPrefix}-exits-${f.key}`}>{f.label}</label>
              <input id={`${idPrefix}-exits-${f.key}`} name={name} inputMode="decimal" {...invalid(name)} />
              <FieldError idPrefix={idPrefix} name={name} errors={errors} />
            </div>
          );
        })}
        <div className="field">
          <label htmlFor={`${idPrefix}-exits-roi`}>Minimal ROI table (JSON)</label>
          <textarea id={`${idPrefix}-exits-roi`} name="exits.roi" rows={2} placeholder='[{"afterMinutes": 0, "profitPercent": 5}]' {...invalid('exits.roi')} />
          <FieldError idPrefix={idPrefix} name="exits.roi" errors={errors} />
        </div>
      </div>
      {closeAtEnd && (
        <label>
          <input type="checkbox" name="closeAtEnd" defaultChecked data-testid="close-at-end" /> Close a position still open at the end of the run (exit reason
          end-of-run)
        </label>
      )}
    </fieldset>
  );
}

function Form({
  markets,
  strategies,
  accounts,
  deployedModels,
  start,
  poll,
}: {
  markets: MarketOption[];
  strategies: StrategyOption[];
  /** Accounts to prefill the account settings and risk limits from; the first is chosen. */
  accounts: AccountOption[];
  /** The deployed version of each model the run may use (a kind without one is offered disabled). */
  deployedModels: DeployedLoopModels;
  start: (input: unknown) => Promise<ActionResult<{ ticketId: string }>>;
  poll: (input: unknown) => Promise<ActionResult<BacktestProgress>>;
}) {
  const first = markets[0];
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [ticketId, setTicketId] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set((strategies.some((s) => s.enabled) ? strategies.filter((s) => s.enabled) : strategies.slice(0, 1)).map((s) => s.name)));
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? '');
  /** One market, several sharing one account (a portfolio), or every stored market of the exchange and timeframe. */
  const [marketMode, setMarketMode] = useState<'one' | 'several' | 'all'>('one');
  const account = accounts.find((a) => a.id === accountId);
  const [pending, startTransition] = useTransition();
  const exchanges = [...new Set(markets.map((m) => m.exchange))];
  const symbols = [...new Set(markets.map((m) => m.symbol))];
  const timeframes = Object.keys(TIMEFRAME_MS);
  const invalid = invalidProps('bt', errors);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const params: Record<string, Record<string, unknown>> = {};
    for (const [key, value] of form.entries()) {
      const match = /^param:([^:]+):(.+)$/.exec(key);
      if (!match || !chosen.has(match[1]) || String(value).trim() === '') continue;
      const field = strategies.find((s) => s.name === match[1])?.fields.find((f) => f.name === match[2]);
      (params[match[1]] ??= {})[match[2]] = field ? paramValueOf(field, String(value)) : String(value);
    }
    const input = {
      exchange: String(form.get('exchange') ?? ''),
      ...(marketMode === 'one'
        ? { symbol: String(form.get('symbol') ?? '') }
        : { symbols: marketMode === 'all' ? 'all' : form.getAll('symbols').map(String) }),
      timeframe: String(form.get('timeframe') ?? ''),
      from: String(form.get('from') ?? ''),
      to: String(form.get('to') ?? ''),
      strategies: [...chosen],
      params,
      veto: form.get('veto') === 'on',
      models: modelsOfForm((name) => form.get(name)),
      ...(account ? { accountId: account.id } : {}),
      paper: {
        ...Object.fromEntries(['marketType', 'marginMode'].map((k) => [k, String(form.get(`paper.${k}`) ?? '') || undefined])),
        ...Object.fromEntries(PAPER_NUMBER_FIELDS.map((f) => [f.key, numberOrText(form.get(`paper.${f.key}`))])),
      },
      // Disabled (breaker) fields are not in the form data: the server sets them when breakers are off.
      risk: Object.fromEntries(RISK_FIELDS.map((f) => [f.key, numberOrText(form.get(`risk.${f.key}`))])),
      breakers: form.get('breakers') === 'on',
      exits: exitsOfForm(form),
      closeAtEnd: form.get('closeAtEnd') === 'on',
    };
    setMessage(null);
    setErrors({});
    startTransition(async () => {
      const result = await start(input);
      if (result.ok) {
        setTicketId(result.data.ticketId);
      } else {
        setErrors(result.error.fieldErrors ?? {});
        setMessage(result.error.message);
      }
    });
  }

  return (
    <>
      <form onSubmit={onSubmit} noValidate data-testid="backtest-form" aria-label="New backtest">
        <HydrationGate>
          <div className="filter-grid">
            <div className="field">
              <label htmlFor="bt-exchange">Exchange</label>
              <select id="bt-exchange" name="exchange" defaultValue={first?.exchange ?? 'binance'} {...invalid('exchange')}>
                {(exchanges.length ? exchanges : ['binance']).map((e) => (
                  <option key={e}>{e}</option>
                ))}
              </select>
              <FieldError idPrefix="bt" name="exchange" errors={errors} />
            </div>
            {marketMode === 'one' && (
              <div className="field">
                <label htmlFor="bt-symbol">Symbol</label>
                <input id="bt-symbol" name="symbol" list="bt-symbols" defaultValue={first?.symbol ?? ''} {...invalid('symbol')} />
                <datalist id="bt-symbols">
                  {symbols.map((s) => (
                    <option key={s} value={s} />
                  ))}
                </datalist>
                <FieldError idPrefix="bt" name="symbol" errors={errors} />
              </div>
            )}
            <div className="field">
              <label htmlFor="bt-timeframe">Timeframe</label>
              <select id="bt-timeframe" name="timeframe" defaultValue={first?.timeframe ?? '5m'} {...invalid('timeframe')}>
                {timeframes.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
              <FieldError idPrefix="bt" name="timeframe" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="bt-from">From (UTC)</label>
              <input id="bt-from" name="from" type="date" defaultValue={first ? day(first.firstOpenTimeMs) : ''} {...invalid('from')} />
              <FieldError idPrefix="bt" name="from" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="bt-to">To (UTC, exclusive)</label>
              <input id="bt-to" name="to" type="date" defaultValue={first ? day(first.lastOpenTimeMs + 86_400_000) : ''} {...invalid('to')} />
              <FieldError idPrefix="bt" name="to" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="bt-veto">
                <span>
                  <input id="bt-veto" name="veto" type="checkbox" /> Veto model on
                </span>
              </label>
              <FieldError idPrefix="bt" name="veto" errors={errors} />
            </div>
          </div>
          <fieldset className="strategy-box" data-testid="market-mode" aria-describedby={errors.symbols?.length ? fieldErrorId('bt', 'symbols') : undefined}>
            <legend>Markets</legend>
            <div className="actions-row">
              {(
                [
                  ['one', 'One market'],
                  ['several', 'Several markets, one account'],
                  ['all', 'All stored of this timeframe'],
                ] as const
              ).map(([mode, label]) => (
                <label key={mode}>
                  <input type="radio" name="marketMode" value={mode} checked={marketMode === mode} onChange={() => setMarketMode(mode)} /> {label}
                </label>
              ))}
            </div>
            {marketMode !== 'one' && (
              <p className="muted">
                One run, one account: candles are merged by time (a market whose data starts later joins then), and max open positions and exposure per
                market apply across the markets.
              </p>
            )}
            {marketMode === 'several' && (
              <div className="actions-row" data-testid="portfolio-symbols">
                {symbols.map((s) => (
                  <label key={s}>
                    <input type="checkbox" name="symbols" value={s} /> {s}
                  </label>
                ))}
              </div>
            )}
            <FieldError idPrefix="bt" name="symbols" errors={errors} />
          </fieldset>
          <AccountPrefill idPrefix="bt" accounts={accounts} accountId={accountId} onChange={setAccountId} errors={errors} />
          <AccountFields key={accountId} account={account} errors={errors} />
          <fieldset className="strategy-box" aria-describedby={errors.strategies?.length ? fieldErrorId('bt', 'strategies') : undefined}>
            <legend>Strategies and parameters (blank = saved setting)</legend>
            <FieldError idPrefix="bt" name="strategies" errors={errors} />
            {strategies.map((s) => (
              <div key={s.name} data-testid={`strategy-${s.name}`}>
                <label>
                  <input
                    type="checkbox"
                    name="strategies"
                    value={s.name}
                    checked={chosen.has(s.name)}
                    onChange={(e) => {
                      const next = new Set(chosen);
                      if (e.target.checked) next.add(s.name);
                      else next.delete(s.name);
                      setChosen(next);
                    }}
                  />{' '}
                  {s.name}{' '}
                  <span className="muted">
                    ({s.source} {s.version})
                  </span>
                </label>
                {chosen.has(s.name) && (
                  <div className="filter-grid">
                    {s.fields.map((f) => {
                      const field = f.name;
                      const key = `params.${s.name}.${field}`;
                      const saved = s.saved[field] ?? f.defaultValue;
                      const aria = { 'aria-invalid': errors[key]?.length ? true : undefined, 'aria-describedby': errors[key]?.length ? fieldErrorId('bt', key) : undefined };
                      return (
                        <div className="field" key={field}>
                          <label htmlFor={`bt-${s.name}-${field}`}>{field}</label>
                          {f.kind === 'boolean' || f.kind === 'enum' ? (
                            <select id={`bt-${s.name}-${field}`} name={`param:${s.name}:${field}`} defaultValue="" {...aria}>
                              <option value="">{`saved (${String(saved)})`}</option>
                              {(f.kind === 'boolean' ? ['true', 'false'] : (f.options ?? [])).map((o) => (
                                <option key={o} value={o}>
                                  {o}
                                </option>
                              ))}
                            </select>
                          ) : (
                            <input
                              id={`bt-${s.name}-${field}`}
                              name={`param:${s.name}:${field}`}
                              inputMode={f.kind === 'text' ? undefined : 'decimal'}
                              placeholder={saved === undefined ? '' : String(saved)}
                              {...aria}
                            />
                          )}
                          <FieldError idPrefix="bt" name={key} errors={errors} />
                        </div>
                      );
                    })}
                  </div>
                )}
              </div>
            ))}
          </fieldset>
          <ExitFields idPrefix="bt" errors={errors} closeAtEnd />
          <ModelFields idPrefix="bt" deployed={deployedModels} errors={errors} />
          <SubmitRow busy={pending} label="Run backtest" busyLabel="Queuing…" error={message} testId="run-backtest" />
        </HydrationGate>
      </form>
      {ticketId && <TicketProgress key={ticketId} ticketId={ticketId} poll={poll} />}
    </>
  );
}

/** The backtest form with its own TanStack Query client (used to poll the queued job). */
export function BacktestForm(props: Parameters<typeof Form>[0]) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1 } } }));
  return (
    <QueryClientProvider client={client}>
      <Form {...props} />
    </QueryClientProvider>
  );
}
