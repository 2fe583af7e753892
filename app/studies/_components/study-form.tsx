'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition, type FormEvent } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import {
  AccountFields,
  AccountPrefill,
  ExitFields,
  exitsOfForm,
  FieldError,
  invalidProps,
  numberOrText,
  type AccountOption,
  type FieldErrors,
  type MarketOption,
} from '@/app/backtests/_components/backtest-form';
import { gridSize, spaceOf, type SpaceField, type SpaceMode } from '../_lib/space-fields';
import { SubmitRow } from '@/app/_components/submit-button';
import { ModelFields } from '@/app/_components/models/model-fields';
import { modelsOfForm, type DeployedLoopModels } from '@/app/_components/models/model-form';
import { HydrationGate } from '@/app/_components/hydration-gate';

/** A strategy the study can optimise, with its parameter inputs prefilled from the engine's derived search space. */
export interface StudyStrategyOption {
  name: string;
  source: string;
  version: string;
  fields: SpaceField[];
  /** Why its space could not be derived (the parameters are then held at their defaults). */
  spaceError?: string;
}

const OBJECTIVE_LABELS: Record<string, string> = {
  sharpe: 'Sharpe ratio',
  sortino: 'Sortino ratio',
  calmar: 'Calmar ratio',
  profitFactor: 'Profit factor',
  netProfit: 'Net profit',
};

const METHOD_LABELS = { grid: 'Grid (every combination)', random: 'Random (seeded draws)', halving: 'Successive halving (adaptive)' } as const;

const PAPER_KEYS = ['initialBalance', 'leverage', 'makerFeeBps', 'takerFeeBps', 'spreadBps', 'slippageBps'] as const;
const RISK_KEYS = ['riskPerTradePct', 'maxLossPctEquityPerTrade', 'maxLeverage', 'maxSymbolExposurePct', 'maxOpenPositions', 'dailyLossLimitPct', 'maxDrawdownPct'] as const;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const marketKey = (m: MarketOption) => `${m.exchange} ${m.symbol} ${m.timeframe}`;
const fieldId = (name: string) => `st-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** One parameter's search: a range, a list of values or one value, each input named as the engine names its errors. */
function SpaceFieldset({ field, errors, onChange }: { field: SpaceField; errors: FieldErrors; onChange: (next: SpaceField) => void }) {
  const prefix = `space.${field.name}`;
  const numeric = field.kind === 'number' || field.kind === 'integer';
  const aria = invalidProps('st', errors);
  // Errors of this parameter not tied to one input (a refused value in a list, an unknown narrowing).
  const shown = field.mode === 'range' ? [`${prefix}.min`, `${prefix}.max`, `${prefix}.step`] : field.mode === 'values' ? [`${prefix}.values`] : [prefix];
  const other = Object.keys(errors).filter((k) => (k === prefix || k.startsWith(`${prefix}.`)) && !shown.includes(k));
  const input = (key: 'min' | 'max' | 'step' | 'values' | 'fixed', label: string, name: string) => (
    <div className="field">
      <label htmlFor={fieldId(name)}>{label}</label>
      <input id={fieldId(name)} inputMode={numeric && key !== 'values' ? 'decimal' : undefined} value={field[key]} onChange={(e) => onChange({ ...field, [key]: e.target.value })} {...aria(name)} />
      <FieldError idPrefix="st" name={name} errors={errors} />
    </div>
  );
  return (
    <fieldset className="strategy-box" data-testid={`space-${field.name}`}>
      <legend>{field.name}</legend>
      {field.description && <p className="muted">{field.description}</p>}
      <div className="filter-grid">
        <div className="field">
          <label htmlFor={fieldId(`${prefix}.mode`)}>Search</label>
          <select id={fieldId(`${prefix}.mode`)} value={field.mode} onChange={(e) => onChange({ ...field, mode: e.target.value as SpaceMode })}>
            {numeric && <option value="range">a range</option>}
            <option value="values">a list of values</option>
            <option value="fixed">one value</option>
          </select>
        </div>
        {field.mode === 'range' && (
          <>
            {input('min', 'Min', `${prefix}.min`)}
            {input('max', 'Max', `${prefix}.max`)}
            {input('step', 'Step', `${prefix}.step`)}
          </>
        )}
        {field.mode === 'values' && input('values', 'Values (comma-separated)', `${prefix}.values`)}
        {field.mode === 'fixed' && input('fixed', 'Value', prefix)}
      </div>
      {other.map((k) => (
          <FieldError key={k} idPrefix="st" name={k} errors={errors} />
        ))}
    </fieldset>
  );
}

/**
 * The "New study" form (traders): a stored market and range, one strategy with its parameters' search
 * space (prefilled from the schema's ranges), the method, objective and minimum trades, an optional
 * walk-forward, the account settings and risk limits (prefilled from the chosen account as in the
 * backtest form), the exits every trial trades with (the backtest form's fieldset) and the models in the loop (the
 * backtest form's fieldset: a study with a model and one without compare it on and off). Refusals show next to their field; a queued study opens its page.
 */
export function StudyForm({
  markets,
  strategies,
  accounts,
  deployedModels,
  maxTrials,
  start,
}: {
  markets: MarketOption[];
  strategies: StudyStrategyOption[];
  accounts: AccountOption[];
  /** The deployed version of each loop model kind: every trial runs with the ticked ones (pinned when the study is queued). */
  deployedModels: DeployedLoopModels;
  /** The engine's default cap on one search's candidates (a larger grid is refused). */
  maxTrials: number;
  start: (input: unknown) => Promise<ActionResult<{ studyId: string; ticketId: string }>>;
}) {
  const router = useRouter();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [market, setMarket] = useState(markets[0] ? marketKey(markets[0]) : '');
  const [strategy, setStrategy] = useState(strategies[0]?.name ?? '');
  const [spaces, setSpaces] = useState<Record<string, SpaceField[]>>(() => Object.fromEntries(strategies.map((s) => [s.name, s.fields])));
  const [method, setMethod] = useState<keyof typeof METHOD_LABELS>('grid');
  const [walkForward, setWalkForward] = useState(false);
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? '');
  const [pending, startTransition] = useTransition();
  const chosenMarket = markets.find((m) => marketKey(m) === market);
  const chosen = strategies.find((s) => s.name === strategy);
  const fields = spaces[strategy] ?? [];
  const size = gridSize(fields);
  const account = accounts.find((a) => a.id === accountId);
  const aria = invalidProps('st', errors);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const input = {
      ...(text('name') ? { name: text('name') } : {}),
      ...(account ? { accountId: account.id } : {}),
      exchange: chosenMarket?.exchange ?? '',
      symbol: chosenMarket?.symbol ?? '',
      timeframe: chosenMarket?.timeframe ?? '',
      from: text('from'),
      to: text('to'),
      strategy,
      space: spaceOf(fields),
      method,
      ...(method === 'grid' ? {} : { trials: numberOrText(form.get('trials')) }),
      ...(text('seed') === '' ? {} : { seed: numberOrText(form.get('seed')) }),
      objective: text('objective'),
      minTrades: numberOrText(form.get('minTrades')),
      ...(walkForward
        ? {
            walkForward: {
              mode: text('walkForward.mode'),
              inSampleDays: numberOrText(form.get('walkForward.inSampleDays')),
              outOfSampleDays: numberOrText(form.get('walkForward.outOfSampleDays')),
              ...(text('walkForward.stepDays') === '' ? {} : { stepDays: numberOrText(form.get('walkForward.stepDays')) }),
            },
          }
        : {}),
      paper: {
        ...Object.fromEntries(['marketType', 'marginMode'].map((k) => [k, text(`paper.${k}`) || undefined])),
        ...Object.fromEntries(PAPER_KEYS.map((k) => [k, numberOrText(form.get(`paper.${k}`))])),
      },
      // Disabled (breaker) fields are not in the form data: the server sets them when breakers are off.
      risk: Object.fromEntries(RISK_KEYS.map((k) => [k, numberOrText(form.get(`risk.${k}`))])),
      breakers: form.get('breakers') === 'on',
      exits: exitsOfForm(form),
      models: modelsOfForm((name) => form.get(name)),
    };
    setMessage(null);
    setErrors({});
    startTransition(async () => {
      const result = await start(input);
      if (result.ok) {
        router.push(`/studies/${encodeURIComponent(result.data.studyId)}`);
      } else {
        setErrors(result.error.fieldErrors ?? {});
        setMessage(result.error.message);
      }
    });
  }

  return (
    <form onSubmit={onSubmit} noValidate data-testid="study-form" aria-label="New study">
      <HydrationGate>
        <div className="filter-grid">
          <div className="field">
            <label htmlFor="st-market">Market</label>
            <select id="st-market" value={market} onChange={(e) => setMarket(e.target.value)} {...aria('symbol')}>
              {markets.map((m) => (
                <option key={marketKey(m)} value={marketKey(m)}>
                  {marketKey(m)}
                </option>
              ))}
            </select>
            <FieldError idPrefix="st" name="exchange" errors={errors} />
            <FieldError idPrefix="st" name="symbol" errors={errors} />
            <FieldError idPrefix="st" name="timeframe" errors={errors} />
          </div>
          {/* Remounted with the market, so the range starts as that market's stored candles. */}
          <div className="field" key={`from-${market}`}>
            <label htmlFor="st-from">From (UTC)</label>
            <input id="st-from" name="from" type="date" defaultValue={chosenMarket ? day(chosenMarket.firstOpenTimeMs) : ''} {...aria('from')} />
            <FieldError idPrefix="st" name="from" errors={errors} />
          </div>
          <div className="field" key={`to-${market}`}>
            <label htmlFor="st-to">To (UTC, exclusive)</label>
            <input id="st-to" name="to" type="date" defaultValue={chosenMarket ? day(chosenMarket.lastOpenTimeMs + 86_400_000) : ''} {...aria('to')} />
            <FieldError idPrefix="st" name="to" errors={errors} />
          </div>
          <div className="field">
            <label htmlFor="st-name">Name (optional)</label>
            <input id="st-name" name="name" maxLength={120} placeholder={`${strategy} ${chosenMarket?.symbol ?? ''} ${chosenMarket?.timeframe ?? ''}`.trim()} {...aria('name')} />
            <FieldError idPrefix="st" name="name" errors={errors} />
          </div>
        </div>

        <fieldset className="strategy-box" data-testid="study-space">
          <legend>Strategy and search space</legend>
          <div className="filter-grid">
            <div className="field">
              <label htmlFor="st-strategy">Strategy</label>
              <select id="st-strategy" value={strategy} onChange={(e) => setStrategy(e.target.value)} {...aria('strategy')}>
                {strategies.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name} ({s.source} {s.version})
                  </option>
                ))}
              </select>
              <FieldError idPrefix="st" name="strategy" errors={errors} />
            </div>
          </div>
          {chosen?.spaceError && <p className="muted">{chosen.spaceError}</p>}
          <p className="muted" data-testid="grid-size" aria-live="polite">
            {size === null ? 'Grid size: unknown until every range is valid.' : `Grid size: ${size.toLocaleString('en-US')} combination${size === 1 ? '' : 's'} (before the strategy's own checks, e.g. fast below slow).`}
            {method === 'grid' && size !== null && size > maxTrials
              ? ` Above the cap of ${maxTrials.toLocaleString('en-US')} trials: narrow a range, raise its step, or hold a parameter at one value.`
              : ''}
          </p>
          <FieldError idPrefix="st" name="space" errors={errors} />
          <FieldError idPrefix="st" name="maxTrials" errors={errors} />
          {fields.map((f, i) => (
            <SpaceFieldset
              key={`${strategy}:${f.name}`}
              field={f}
              errors={errors}
              onChange={(next) => setSpaces({ ...spaces, [strategy]: fields.map((g, j) => (j === i ? next : g)) })}
            />
          ))}
        </fieldset>

        <fieldset className="strategy-box" data-testid="study-method">
          <legend>Method and objective</legend>
          <div className="filter-grid">
            <div className="field">
              <label htmlFor="st-method">Method</label>
              <select id="st-method" value={method} onChange={(e) => setMethod(e.target.value as keyof typeof METHOD_LABELS)} {...aria('method')}>
                {Object.entries(METHOD_LABELS).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
              <FieldError idPrefix="st" name="method" errors={errors} />
            </div>
            {method !== 'grid' && (
              <div className="field">
                <label htmlFor="st-trials">{method === 'random' ? 'Trials (draws)' : 'Candidates'}</label>
                <input id="st-trials" name="trials" inputMode="numeric" defaultValue="100" {...aria('trials')} />
                <FieldError idPrefix="st" name="trials" errors={errors} />
              </div>
            )}
            {method !== 'grid' && (
              <div className="field">
                <label htmlFor="st-seed">Seed</label>
                <input id="st-seed" name="seed" inputMode="numeric" defaultValue="1" {...aria('seed')} />
                <FieldError idPrefix="st" name="seed" errors={errors} />
              </div>
            )}
            <div className="field">
              <label htmlFor="st-objective">Objective (maximised)</label>
              <select id="st-objective" name="objective" defaultValue="sharpe" {...aria('objective')}>
                {Object.entries(OBJECTIVE_LABELS).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
              <FieldError idPrefix="st" name="objective" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="st-minTrades">Minimum trades</label>
              <input id="st-minTrades" name="minTrades" inputMode="numeric" defaultValue="1" {...aria('minTrades')} />
              <FieldError idPrefix="st" name="minTrades" errors={errors} />
            </div>
          </div>
        </fieldset>

        <fieldset className="strategy-box" data-testid="study-walk-forward">
          <legend>Walk-forward</legend>
          <label>
            <input type="checkbox" checked={walkForward} onChange={(e) => setWalkForward(e.target.checked)} data-testid="walk-forward-on" /> Optimise in sample, test the winner
            out of sample, window by window
          </label>
          <FieldError idPrefix="st" name="walkForward" errors={errors} />
          {walkForward && (
            <div className="filter-grid">
              <div className="field">
                <label htmlFor="st-wf-mode">Windows</label>
                <select id="st-wf-mode" name="walkForward.mode" defaultValue="rolling" {...aria('walkForward.mode')}>
                  <option value="rolling">rolling (in-sample moves)</option>
                  <option value="anchored">anchored (in-sample grows from the start)</option>
                </select>
                <FieldError idPrefix="st" name="walkForward.mode" errors={errors} />
              </div>
              <div className="field">
                <label htmlFor="st-wf-in">In-sample (days)</label>
                <input id="st-wf-in" name="walkForward.inSampleDays" inputMode="decimal" defaultValue="4" {...aria('walkForward.inSampleDays')} />
                <FieldError idPrefix="st" name="walkForward.inSampleDays" errors={errors} />
              </div>
              <div className="field">
                <label htmlFor="st-wf-out">Out-of-sample (days)</label>
                <input id="st-wf-out" name="walkForward.outOfSampleDays" inputMode="decimal" defaultValue="2" {...aria('walkForward.outOfSampleDays')} />
                <FieldError idPrefix="st" name="walkForward.outOfSampleDays" errors={errors} />
              </div>
              <div className="field">
                <label htmlFor="st-wf-step">Step (days, blank = out-of-sample)</label>
                <input id="st-wf-step" name="walkForward.stepDays" inputMode="decimal" {...aria('walkForward.stepDays')} />
                <FieldError idPrefix="st" name="walkForward.stepDays" errors={errors} />
              </div>
            </div>
          )}
        </fieldset>

        <AccountPrefill idPrefix="st" accounts={accounts} accountId={accountId} onChange={setAccountId} errors={errors} />
        <AccountFields key={accountId} account={account} errors={errors} />
        <ExitFields idPrefix="st" errors={errors} />
        <ModelFields idPrefix="st" deployed={deployedModels} errors={errors} />

        <SubmitRow busy={pending} label="Start study" busyLabel="Queuing…" error={message} testId="start-study" />
      </HydrationGate>
    </form>
  );
}
