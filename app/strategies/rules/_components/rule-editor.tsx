'use client';
/**
 * The rule strategy editor: entry and exit groups of conditions (all/any, add/remove), the stop and
 * the exits, validated with the engine's own schema on every keystroke and again by the server on
 * save; a saved rule is backtested in one click (market and range picked here) and the run opens.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import { MAX_RULE_PERIOD, RULE_INDICATORS, RULE_OPERATORS, RULE_PRICES, ruleStrategyErrors, type RuleOperator } from '@/engine/strategies/rules/rule-schema';
import type { BacktestProgress } from '@/app/backtests/actions';
import {
  GROUP_KEYS,
  GROUP_LABELS,
  draftOfRule,
  isBinary,
  newCondition,
  newDraft,
  ruleOfDraft,
  type ConditionDraft,
  type GroupKey,
  type OperandDraft,
  type RuleDraft,
} from './rule-draft';
import './rule-editor.css';
import { SubmitButton } from '@/app/_components/submit-button';
import { HydrationGate } from '@/app/_components/hydration-gate';
import { fmtFractionPct } from '@/app/_components/format';

type FieldErrors = Record<string, string[]>;
type Action<T> = (input: unknown) => Promise<ActionResult<T>>;

export interface MarketChoice {
  exchange: string;
  symbol: string;
  timeframe: string;
  firstOpenTimeMs: number;
  lastOpenTimeMs: number;
}

const OPERATOR_LABELS: Record<RuleOperator, string> = {
  crossesAbove: 'crosses above',
  crossesBelow: 'crosses below',
  gt: 'is greater than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  rising: 'is rising',
  falling: 'is falling',
};

const INDICATOR_LABELS: Record<string, string> = {
  sma: 'SMA',
  ema: 'EMA',
  rsi: 'RSI',
  atr: 'ATR',
  donchianUpper: 'Donchian upper',
  donchianLower: 'Donchian lower',
};

const idOf = (path: string) => `rule-${path.replace(/\./g, '-')}`;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The day after the last candle: the range's end is exclusive. */
const dayAfter = (ms: number) => day(ms + 86_400_000);

function Errors({ path, errors }: { path: string; errors: FieldErrors }) {
  const messages = errors[path];
  if (!messages?.length) return null;
  return (
    <span className="field-error" id={`${idOf(path)}-error`} data-testid={`rule-error-${path}`}>
      {messages.join('; ')}
    </span>
  );
}

const invalid = (path: string, errors: FieldErrors) => (errors[path]?.length ? { 'aria-invalid': true as const, 'aria-describedby': `${idOf(path)}-error` } : {});

function OperandFields({ path, label, operand, errors, disabled, onChange }: { path: string; label: string; operand: OperandDraft; errors: FieldErrors; disabled: boolean; onChange: (o: OperandDraft) => void }) {
  return (
    <fieldset className="rule-operand">
      <legend>{label}</legend>
      <div className="field">
        <label htmlFor={idOf(`${path}.kind`)}>Kind</label>
        <select id={idOf(`${path}.kind`)} value={operand.kind} disabled={disabled} onChange={(e) => onChange({ ...operand, kind: e.target.value as OperandDraft['kind'] })}>
          <option value="indicator">indicator</option>
          <option value="price">price</option>
          <option value="value">value</option>
        </select>
      </div>
      {operand.kind === 'indicator' && (
        <>
          <div className="field">
            <label htmlFor={idOf(`${path}.indicator`)}>Indicator</label>
            <select id={idOf(`${path}.indicator`)} value={operand.indicator} disabled={disabled} onChange={(e) => onChange({ ...operand, indicator: e.target.value })} {...invalid(`${path}.indicator`, errors)}>
              {RULE_INDICATORS.map((i) => (
                <option key={i} value={i}>{INDICATOR_LABELS[i]}</option>
              ))}
            </select>
            <Errors path={`${path}.indicator`} errors={errors} />
          </div>
          <div className="field">
            <label htmlFor={idOf(`${path}.period`)}>Period (1..{MAX_RULE_PERIOD})</label>
            <input id={idOf(`${path}.period`)} inputMode="numeric" value={operand.period} disabled={disabled} onChange={(e) => onChange({ ...operand, period: e.target.value })} {...invalid(`${path}.period`, errors)} />
            <Errors path={`${path}.period`} errors={errors} />
          </div>
        </>
      )}
      {operand.kind === 'price' && (
        <div className="field">
          <label htmlFor={idOf(`${path}.price`)}>Price</label>
          <select id={idOf(`${path}.price`)} value={operand.price} disabled={disabled} onChange={(e) => onChange({ ...operand, price: e.target.value })}>
            {RULE_PRICES.map((p) => (
              <option key={p} value={p}>{p}</option>
            ))}
          </select>
        </div>
      )}
      {operand.kind === 'value' && (
        <div className="field">
          <label htmlFor={idOf(`${path}.value`)}>Value</label>
          <input id={idOf(`${path}.value`)} inputMode="decimal" value={operand.value} disabled={disabled} onChange={(e) => onChange({ ...operand, value: e.target.value })} {...invalid(`${path}.value`, errors)} />
          <Errors path={`${path}.value`} errors={errors} />
        </div>
      )}
      <Errors path={path} errors={errors} />
    </fieldset>
  );
}

function ConditionFields({ path, index, condition, errors, disabled, onChange, onRemove }: { path: string; index: number; condition: ConditionDraft; errors: FieldErrors; disabled: boolean; onChange: (c: ConditionDraft) => void; onRemove: () => void }) {
  const binary = isBinary(condition.op);
  return (
    <li className="rule-condition" data-testid="rule-condition">
      <OperandFields path={`${path}.left`} label={`Condition ${index + 1}: left`} operand={condition.left} errors={errors} disabled={disabled} onChange={(left) => onChange({ ...condition, left })} />
      <div className="field">
        <label htmlFor={idOf(`${path}.op`)}>Operator</label>
        <select id={idOf(`${path}.op`)} value={condition.op} disabled={disabled} onChange={(e) => onChange({ ...condition, op: e.target.value as RuleOperator })}>
          {RULE_OPERATORS.map((op) => (
            <option key={op} value={op}>{OPERATOR_LABELS[op]}</option>
          ))}
        </select>
      </div>
      {binary ? (
        <OperandFields path={`${path}.right`} label={`Condition ${index + 1}: right`} operand={condition.right} errors={errors} disabled={disabled} onChange={(right) => onChange({ ...condition, right })} />
      ) : (
        <div className="field">
          <label htmlFor={idOf(`${path}.bars`)}>Over bars (default 1)</label>
          <input id={idOf(`${path}.bars`)} inputMode="numeric" value={condition.bars} disabled={disabled} onChange={(e) => onChange({ ...condition, bars: e.target.value })} {...invalid(`${path}.bars`, errors)} />
          <Errors path={`${path}.bars`} errors={errors} />
        </div>
      )}
      <div className="field">
        <label htmlFor={idOf(`${path}.withinBars`)}>Within the last N bars (blank: this bar)</label>
        <input id={idOf(`${path}.withinBars`)} inputMode="numeric" value={condition.withinBars} disabled={disabled} onChange={(e) => onChange({ ...condition, withinBars: e.target.value })} {...invalid(`${path}.withinBars`, errors)} />
        <Errors path={`${path}.withinBars`} errors={errors} />
      </div>
      <Errors path={path} errors={errors} />
      <Errors path={`${path}.right`} errors={errors} />
      {!disabled && (
        <button type="button" className="danger" onClick={onRemove}>
          Remove condition {index + 1}
        </button>
      )}
    </li>
  );
}

function GroupFields({ groupKey, draft, errors, disabled, setDraft }: { groupKey: GroupKey; draft: RuleDraft; errors: FieldErrors; disabled: boolean; setDraft: (d: RuleDraft) => void }) {
  const group = draft.groups[groupKey];
  const label = GROUP_LABELS[groupKey];
  const setGroup = (g: typeof group) => setDraft({ ...draft, groups: { ...draft.groups, [groupKey]: g } });
  const path = `${groupKey}.${group.mode}`;
  return (
    <fieldset className="rule-group" data-testid={`rule-group-${groupKey}`}>
      <legend>{label}</legend>
      <label className="rule-inline">
        <input type="checkbox" checked={group.enabled} disabled={disabled} onChange={(e) => setGroup({ ...group, enabled: e.target.checked, conditions: e.target.checked && group.conditions.length === 0 ? [newCondition()] : group.conditions })} />
        Use {label.toLowerCase()} rules
      </label>
      {group.enabled && (
        <>
          <div className="field">
            <label htmlFor={idOf(`${groupKey}.mode`)}>{label}: combine conditions</label>
            <select id={idOf(`${groupKey}.mode`)} value={group.mode} disabled={disabled} onChange={(e) => setGroup({ ...group, mode: e.target.value as 'all' | 'any' })}>
              <option value="all">all must hold</option>
              <option value="any">any may hold</option>
            </select>
          </div>
          <ol className="rule-conditions">
            {group.conditions.map((c, k) => (
              <ConditionFields
                key={k}
                path={`${path}.${k}`}
                index={k}
                condition={c}
                errors={errors}
                disabled={disabled}
                onChange={(next) => setGroup({ ...group, conditions: group.conditions.map((x, j) => (j === k ? next : x)) })}
                onRemove={() => setGroup({ ...group, conditions: group.conditions.filter((_, j) => j !== k) })}
              />
            ))}
          </ol>
          <Errors path={path} errors={errors} />
          <Errors path={groupKey} errors={errors} />
          {!disabled && (
            <button type="button" onClick={() => setGroup({ ...group, conditions: [...group.conditions, newCondition()] })}>
              Add a condition to {label.toLowerCase()}
            </button>
          )}
        </>
      )}
    </fieldset>
  );
}

function TextField({ path, label, value, errors, disabled, onChange, inputMode }: { path: string; label: string; value: string; errors: FieldErrors; disabled: boolean; onChange: (v: string) => void; inputMode?: 'numeric' | 'decimal' }) {
  return (
    <div className="field">
      <label htmlFor={idOf(path)}>{label}</label>
      <input id={idOf(path)} value={value} disabled={disabled} inputMode={inputMode} onChange={(e) => onChange(e.target.value)} {...invalid(path, errors)} />
      <Errors path={path} errors={errors} />
    </div>
  );
}

/** One-click backtest of the saved rule: queue, follow the job, open the run. */
function BacktestPanel({ name, markets, backtest, poll }: { name: string; markets: MarketChoice[]; backtest: Action<{ ticketId: string }>; poll: Action<BacktestProgress> }) {
  const router = useRouter();
  const [market, setMarket] = useState(markets[0] ? `${markets[0].exchange} ${markets[0].symbol} ${markets[0].timeframe}` : '');
  const chosen = markets.find((m) => `${m.exchange} ${m.symbol} ${m.timeframe}` === market);
  const [from, setFrom] = useState(chosen ? day(chosen.firstOpenTimeMs) : '');
  const [to, setTo] = useState(chosen ? dayAfter(chosen.lastOpenTimeMs) : '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [status, setStatus] = useState<string | null>(null);
  const [ticketId, setTicketId] = useState<string | null>(null);

  useEffect(() => {
    if (!ticketId) return;
    let stopped = false;
    const tick = async () => {
      const result = await poll({ ticketId });
      if (stopped) return;
      if (!result.ok) return setStatus(`Could not read the job: ${result.error.message}`);
      const p = result.data;
      if (p.status === 'succeeded' && p.runId) {
        setStatus('Backtest finished; opening the run…');
        router.push(`/backtests/${encodeURIComponent(p.runId)}`);
        return;
      }
      if (p.status === 'failed' || p.status === 'cancelled') return setStatus(`The backtest ${p.status}: ${p.error ?? 'no reason recorded'}`);
      setStatus(`Backtest ${p.status} (${fmtFractionPct(p.progress, 0)})`);
      setTimeout(tick, 750);
    };
    void tick();
    return () => {
      stopped = true;
    };
  }, [ticketId, poll, router]);

  if (markets.length === 0) return <p className="muted">Import or download candles first (Markets page) to backtest this rule.</p>;
  return (
    <section className="card" aria-labelledby="rule-backtest-heading" data-testid="rule-backtest">
      <h2 id="rule-backtest-heading">Backtest “{name}”</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="rule-bt-market">Market</label>
          <select
            id="rule-bt-market"
            value={market}
            onChange={(e) => {
              setMarket(e.target.value);
              const m = markets.find((x) => `${x.exchange} ${x.symbol} ${x.timeframe}` === e.target.value);
              if (m) {
                setFrom(day(m.firstOpenTimeMs));
                setTo(dayAfter(m.lastOpenTimeMs));
              }
            }}
            {...invalid('market', errors)}
          >
            {markets.map((m) => {
              const key = `${m.exchange} ${m.symbol} ${m.timeframe}`;
              return <option key={key} value={key}>{key}</option>;
            })}
          </select>
          <Errors path="market" errors={errors} />
        </div>
        <div className="field">
          <label htmlFor="rule-bt-from">From (UTC)</label>
          <input id="rule-bt-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} {...invalid('from', errors)} />
          <Errors path="from" errors={errors} />
        </div>
        <div className="field">
          <label htmlFor="rule-bt-to">To (UTC, exclusive)</label>
          <input id="rule-bt-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} {...invalid('to', errors)} />
          <Errors path="to" errors={errors} />
        </div>
      </div>
      <Errors path="strategies" errors={errors} />
      <p>
        <button
          type="button"
          className="primary"
          disabled={ticketId !== null && status !== null && !status.startsWith('The backtest')}
          onClick={async () => {
            setErrors({});
            setStatus('Queuing…');
            const result = await backtest({ name, market, from, to });
            if (!result.ok) {
              setErrors(result.error.fieldErrors ?? {});
              setStatus(`Not queued: ${result.error.message}`);
              return;
            }
            setTicketId(result.data.ticketId);
          }}
        >
          Backtest
        </button>
      </p>
      {status && (
        <p aria-live="polite" data-testid="rule-backtest-status">
          {status}
        </p>
      )}
    </section>
  );
}

export function RuleEditor({
  initial,
  savedName,
  canEdit,
  markets,
  create,
  update,
  backtest,
  poll,
}: {
  /** The stored rule (editing), or null (a new rule). */
  initial: Record<string, unknown> | null;
  /** The name under which the rule is stored, or null for a new rule. */
  savedName: string | null;
  canEdit: boolean;
  markets: MarketChoice[];
  create: Action<{ name: string; version: number }>;
  update: Action<{ name: string; version: number }>;
  backtest: Action<{ ticketId: string }>;
  poll: Action<BacktestProgress>;
}) {
  const router = useRouter();
  const [draft, setDraftState] = useState<RuleDraft>(() => (initial ? draftOfRule(initial) : newDraft()));
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const rule = useMemo(() => ruleOfDraft(draft), [draft]);
  const clientErrors = useMemo(() => ruleStrategyErrors(rule), [rule]);
  const errors = { ...clientErrors, ...serverErrors };
  const problems = Object.entries(errors);
  const disabled = !canEdit;
  const setDraft = (d: RuleDraft) => {
    setDraftState(d);
    setServerErrors({});
    setMessage(null);
  };

  async function save() {
    setSaving(true);
    setMessage(null);
    const result = savedName ? await update({ name: savedName, rule }) : await create({ rule });
    setSaving(false);
    if (!result.ok) {
      setServerErrors(result.error.fieldErrors ?? { rule: [result.error.message] });
      setMessage(`Not saved: ${result.error.message}`);
      return;
    }
    setMessage(`Saved “${result.data.name}” as version ${result.data.version}.`);
    if (!savedName) router.push(`/strategies/rules/${encodeURIComponent(result.data.name)}`);
    else router.refresh();
  }

  return (
    <>
      <form
        className="card rule-editor"
        aria-labelledby="rule-editor-heading"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <HydrationGate>
          <h1 id="rule-editor-heading">{savedName ? `Rule strategy “${savedName}”` : 'New rule strategy'}</h1>
          <div className="form-grid">
            <TextField path="name" label="Name (lowercase letters, digits, dashes)" value={draft.name} errors={errors} disabled={disabled || savedName !== null} onChange={(name) => setDraft({ ...draft, name })} />
            <TextField path="description" label="Description (optional)" value={draft.description} errors={errors} disabled={disabled} onChange={(description) => setDraft({ ...draft, description })} />
          </div>
          {GROUP_KEYS.map((key) => (
            <GroupFields key={key} groupKey={key} draft={draft} errors={errors} disabled={disabled} setDraft={setDraft} />
          ))}
          <fieldset className="rule-group">
            <legend>Protective stop</legend>
            <div className="form-grid">
              <div className="field">
                <label htmlFor="rule-stop-kind">Stop type</label>
                <select id="rule-stop-kind" value={draft.stopKind} disabled={disabled} onChange={(e) => setDraft({ ...draft, stopKind: e.target.value as 'atr' | 'percent' })}>
                  <option value="atr">ATR multiple</option>
                  <option value="percent">percent of the entry</option>
                </select>
              </div>
              {draft.stopKind === 'atr' ? (
                <>
                  <TextField path="stop.atrMultiple" label="ATR multiple" inputMode="decimal" value={draft.atrMultiple} errors={errors} disabled={disabled} onChange={(atrMultiple) => setDraft({ ...draft, atrMultiple })} />
                  <TextField path="stop.atrPeriod" label="ATR period (default 14)" inputMode="numeric" value={draft.atrPeriod} errors={errors} disabled={disabled} onChange={(atrPeriod) => setDraft({ ...draft, atrPeriod })} />
                </>
              ) : (
                <TextField path="stop.percent" label="Stop distance (%)" inputMode="decimal" value={draft.percent} errors={errors} disabled={disabled} onChange={(percent) => setDraft({ ...draft, percent })} />
              )}
            </div>
            <Errors path="stop" errors={errors} />
          </fieldset>
          <fieldset className="rule-group">
            <legend>Exits (optional)</legend>
            <div className="form-grid">
              <TextField path="exits.takeProfit.0.r" label="Take profit at R (× initial risk)" inputMode="decimal" value={draft.takeProfitR} errors={errors} disabled={disabled} onChange={(takeProfitR) => setDraft({ ...draft, takeProfitR })} />
              <TextField path="exits.trailingStop.percent" label="Trailing stop (%)" inputMode="decimal" value={draft.trailingPercent} errors={errors} disabled={disabled} onChange={(trailingPercent) => setDraft({ ...draft, trailingPercent })} />
              <TextField path="exits.timeStop.bars" label="Time stop (bars held)" inputMode="numeric" value={draft.timeStopBars} errors={errors} disabled={disabled} onChange={(timeStopBars) => setDraft({ ...draft, timeStopBars })} />
            </div>
          </fieldset>
          <div aria-live="polite" data-testid="rule-problems">
            {problems.length === 0 ? (
              <p className="muted">The rule is valid.</p>
            ) : (
              <>
                <p className="error">
                  {problems.length} {problems.length === 1 ? 'problem' : 'problems'} to fix:
                </p>
                <ul className="rule-problem-list">
                  {problems.map(([path, messages]) => (
                    <li key={path}>
                      <code>{path}</code>: {messages.join('; ')}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
          {canEdit ? (
            <p>
              <SubmitButton className="primary" busy={saving}>
                {saving ? 'Saving…' : savedName ? 'Save a new version' : 'Save'}
              </SubmitButton>
            </p>
          ) : (
            <p className="muted">Saving needs the trader role.</p>
          )}
          {message && (
            <p aria-live="polite" data-testid="rule-save-message">
              {message}
            </p>
          )}
        </HydrationGate>
      </form>
      {savedName && canEdit && <BacktestPanel name={savedName} markets={markets} backtest={backtest} poll={poll} />}
    </>
  );
}
