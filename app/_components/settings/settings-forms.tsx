'use client';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { RiskLimits, StrategySettings } from '@/engine/settings/trading-settings';
import { ONE_CANDLE_TTL_TEXT } from '@/engine/settings/trading-defaults';
import { formatDurationMs, parseDurationMs } from '@/engine/core/duration';
import { RISK_LIMIT_FIELDS } from './risk-limit-fields';
import type { ParamField, StrategyListing } from '@/app/_components/strategy-param-fields';
import { SubmitButton } from '@/app/_components/submit-button';
import { HydrationGate } from '@/app/_components/hydration-gate';

type Errors = Record<string, string[]>;
type Save<T> = (input: unknown) => Promise<ActionResult<T>>;

function FieldError({ id, errors }: { id: string; errors: Errors }) {
  const messages = errors[id];
  if (!messages?.length) return null;
  return (
    <p className="field-error" id={`${id}-error`} data-testid={`error-${id}`} role="alert">
      {messages.join('; ')}
    </p>
  );
}

function NumberField({ id, label, value, onChange, errors, disabled, step = 'any', hint }: { id: string; label: string; value: number; onChange: (v: number) => void; errors: Errors; disabled: boolean; step?: string; hint?: string }) {
  const invalid = Boolean(errors[id]?.length);
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {hint ? <span className="muted"> ({hint})</span> : null}
      </label>
      <input
        id={id}
        name={id}
        type="number"
        step={step}
        value={Number.isFinite(value) ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? NaN : Number(e.target.value))}
        disabled={disabled}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${id}-error` : undefined}
      />
      <FieldError id={id} errors={errors} />
    </div>
  );
}

/**
 * A duration typed in human units ("1h 30m", "90m", "45s"), shown the same way; the value is whole
 * milliseconds. Text that is not a duration reports `{label}: "{text}" is not a duration: {reason}`
 * through `onInvalid` (the form refuses to save while any field is invalid) and shows it under the field.
 * With `empty` (what no value means, e.g. "1 candle (of the run's timeframe)"), the value may be null: an
 * empty field, shown with `empty` as its placeholder; clearing the field sets it back to null.
 */
function DurationField({
  id,
  label,
  value,
  onChange,
  onInvalid,
  errors,
  disabled,
  empty,
}: {
  id: string;
  label: string;
  value: number | null;
  onChange: (ms: number | null) => void;
  onInvalid: (message: string | null) => void;
  errors: Errors;
  disabled: boolean;
  empty?: string;
}) {
  const [text, setText] = useState(() => (value === null ? '' : formatDurationMs(value)));
  const [local, setLocal] = useState<string | null>(null);
  const shown: Errors = local ? { ...errors, [id]: [local, ...(errors[id] ?? [])] } : errors;
  const invalid = Boolean(shown[id]?.length);
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        <span className="muted"> (e.g. 1h 30m, 90m, 45s{empty ? `; leave empty for ${empty}` : ''})</span>
      </label>
      <input
        id={id}
        name={id}
        type="text"
        inputMode="text"
        autoComplete="off"
        spellCheck={false}
        value={text}
        placeholder={empty}
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          if (empty !== undefined && next.trim() === '') {
            setLocal(null);
            onInvalid(null);
            onChange(null);
            return;
          }
          const parsed = parseDurationMs(next);
          const message = parsed.ok ? null : `${label}: "${next}" is not a duration: ${parsed.reason}`;
          setLocal(message);
          onInvalid(message);
          if (parsed.ok) onChange(parsed.ms);
        }}
        onBlur={() => {
          // Show the stored value the canonical way once it reads ("90m" becomes "1h 30m").
          const parsed = parseDurationMs(text);
          if (parsed.ok) setText(formatDurationMs(parsed.ms));
        }}
        disabled={disabled}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${id}-error` : undefined}
        data-testid={`duration-${id}`}
      />
      <FieldError id={id} errors={shown} />
    </div>
  );
}

function useSave<T>(save: Save<T>) {
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, start] = useTransition();
  const submit = (input: unknown, onOk?: (data: T) => void) =>
    start(async () => {
      const result = await save(input);
      if (result.ok) {
        setErrors({});
        setMessage({ ok: true, text: 'Saved.' });
        onOk?.(result.data);
      } else {
        setErrors(result.error.fieldErrors ?? {});
        setMessage({ ok: false, text: result.error.message });
      }
    });
  return { errors, message, pending, submit };
}

function Status({ message }: { message: { ok: boolean; text: string } | null }) {
  if (!message) return null;
  return (
    <p className={message.ok ? 'muted' : 'error'} role={message.ok ? 'status' : 'alert'} data-testid={message.ok ? 'save-ok' : 'save-error'}>
      {message.text}
    </p>
  );
}

/** One strategy parameter: a number, a checkbox, a choice or text, from the strategy's params JSON Schema. */
function ParamInput({ id, field, value, onChange, errors, disabled }: { id: string; field: ParamField; value: unknown; onChange: (v: unknown) => void; errors: Errors; disabled: boolean }) {
  if (field.kind === 'number' || field.kind === 'integer') {
    const hint = field.min !== undefined && field.max !== undefined ? `${field.min}..${field.max}` : undefined;
    return <NumberField id={id} label={field.name} hint={hint} step={field.kind === 'integer' ? '1' : 'any'} value={typeof value === 'number' ? value : NaN} onChange={onChange} errors={errors} disabled={disabled} />;
  }
  const invalid = Boolean(errors[id]?.length);
  const aria = { 'aria-invalid': invalid, 'aria-describedby': invalid ? `${id}-error` : undefined };
  return (
    <div className="field">
      <label htmlFor={id}>{field.name}</label>
      {field.kind === 'boolean' ? (
        <input id={id} name={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} disabled={disabled} {...aria} />
      ) : field.kind === 'enum' ? (
        <select id={id} name={id} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} disabled={disabled} {...aria}>
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} name={id} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} disabled={disabled} {...aria} />
      )}
      <FieldError id={id} errors={errors} />
    </div>
  );
}

/** A settings form's save button ("Saving…" while `busy`), or, for a role that may not save, the note saying which role may. */
function SaveButton({ canEdit, busy, label, testId, denied }: { canEdit: boolean; busy: boolean; label: string; testId: string; denied: string }) {
  if (!canEdit) return <p className="muted">{denied}</p>;
  return (
    <SubmitButton className="primary" busy={busy} data-testid={testId}>
      {busy ? 'Saving…' : label}
    </SubmitButton>
  );
}

/**
 * Adapters (enabled, weight, parameters) and the fusion/gate settings; editable by traders. One
 * fieldset per runnable catalog strategy (built-in, file, rule), its inputs from its params JSON Schema.
 */
export function StrategySettingsForm({ initial, catalog, save, canEdit }: { initial: StrategySettings; catalog: StrategyListing[]; save: Save<unknown>; canEdit: boolean }) {
  const [value, setValue] = useState<StrategySettings>(initial);
  const { errors, message, pending, submit } = useSave(save);
  const [durationErrors, setDurationErrors] = useState<Record<string, string>>({});
  const onDurationInvalid = (id: string) => (problem: string | null) =>
    setDurationErrors((current) => {
      const next = { ...current };
      if (problem) next[id] = problem;
      else delete next[id];
      return next;
    });
  const durationProblems = Object.values(durationErrors);
  const [refused, setRefused] = useState(false);
  const disabled = !canEdit || pending;
  const names = catalog.map((s) => s.name).filter((name) => value.adapters[name]);
  const setAdapter = (name: keyof StrategySettings['adapters'], patch: Partial<StrategySettings['adapters'][typeof name]>) =>
    setValue((v) => ({ ...v, adapters: { ...v.adapters, [name]: { ...v.adapters[name], ...patch } } }));
  return (
    <form
      data-testid="strategy-form"
      onSubmit={(e) => {
        e.preventDefault();
        setRefused(durationProblems.length > 0);
        if (durationProblems.length > 0) return;
        submit({ strategy: value });
      }}
    >
      <HydrationGate>
        {names.map((name) => {
          const a = value.adapters[name];
          const listing = catalog.find((s) => s.name === name);
          const prefix = `strategy.adapters.${name}`;
          return (
            <fieldset key={name} className="card" disabled={disabled} data-testid={`adapter-${name}`}>
              <legend>
                {name} <span className="muted">({listing?.source} {listing?.version})</span>
              </legend>
              <div className="form-grid">
                <div className="field">
                  <label htmlFor={`${prefix}.enabled`}>Enabled</label>
                  <input id={`${prefix}.enabled`} type="checkbox" checked={a.enabled} onChange={(e) => setAdapter(name, { enabled: e.target.checked })} />
                </div>
                <NumberField id={`${prefix}.weight`} label="Fusion weight" value={a.weight} onChange={(weight) => setAdapter(name, { weight })} errors={errors} disabled={disabled} />
                {(listing?.fields ?? []).map((field) => (
                  <ParamInput
                    key={field.name}
                    id={`${prefix}.params.${field.name}`}
                    field={field}
                    value={a.params[field.name] ?? field.defaultValue}
                    onChange={(v) => setAdapter(name, { params: { ...a.params, [field.name]: v } })}
                    errors={errors}
                    disabled={disabled}
                  />
                ))}
              </div>
              <FieldError id={`${prefix}.params`} errors={errors} />
            </fieldset>
          );
        })}
        <FieldError id="strategy.adapters" errors={errors} />
        <fieldset className="card" disabled={disabled}>
          <legend>Fusion and gate</legend>
          <div className="form-grid">
            <NumberField id="strategy.entryThreshold" label="Entry threshold" hint="0..1" value={value.entryThreshold} onChange={(entryThreshold) => setValue((v) => ({ ...v, entryThreshold }))} errors={errors} disabled={disabled} />
            <DurationField
              id="strategy.ttlMs"
              label="Signal TTL"
              value={value.ttlMs}
              empty={ONE_CANDLE_TTL_TEXT}
              onChange={(ttlMs) => setValue((v) => ({ ...v, ttlMs }))}
              onInvalid={onDurationInvalid('strategy.ttlMs')}
              errors={errors}
              disabled={disabled}
            />
            <DurationField id="strategy.cooldownMs" label="Cooldown" value={value.cooldownMs} onChange={(cooldownMs) => setValue((v) => ({ ...v, cooldownMs: cooldownMs ?? v.cooldownMs }))} onInvalid={onDurationInvalid('strategy.cooldownMs')} errors={errors} disabled={disabled} />
            <NumberField id="strategy.vetoThreshold" label="Veto threshold" hint="0..1" value={value.vetoThreshold} onChange={(vetoThreshold) => setValue((v) => ({ ...v, vetoThreshold }))} errors={errors} disabled={disabled} />
          </div>
        </fieldset>
        <SaveButton canEdit={canEdit} busy={pending} label="Save strategy settings" testId="save-strategy" denied="Changing strategy settings needs the trader role." />
        {refused && durationProblems.length > 0 ? (
          <p className="error" role="alert" data-testid="save-error">
            Not saved: {durationProblems.join('; ')}
          </p>
        ) : (
          <Status message={message} />
        )}
      </HydrationGate>
    </form>
  );
}

/** Risk limits; editable by admins only. */
export function RiskLimitsForm({ initial, save, canEdit }: { initial: RiskLimits; save: Save<unknown>; canEdit: boolean }) {
  const [value, setValue] = useState<RiskLimits>(initial);
  const { errors, message, pending, submit } = useSave(save);
  const disabled = !canEdit || pending;
  return (
    <form
      data-testid="risk-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit({ risk: value });
      }}
    >
      <HydrationGate>
        <fieldset disabled={disabled} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="muted">
            Limits apply to the next order; breakers are re-checked at the next equity update. Sizing includes the account&apos;s own taker fee, spread and
            slippage (its fee model), so a stop-out loses at most the risk per trade.
          </legend>
          <div className="form-grid">
            {RISK_LIMIT_FIELDS.map((f) => (
              <NumberField
                key={f.key}
                id={`risk.${f.key}`}
                label={f.label}
                hint={f.hint}
                step={f.step}
                value={value[f.key] ?? NaN}
                onChange={(n) => setValue((v) => ({ ...v, [f.key]: f.optional && Number.isNaN(n) ? null : n }))}
                errors={errors}
                disabled={disabled}
              />
            ))}
          </div>
        </fieldset>
        <SaveButton canEdit={canEdit} busy={pending} label="Save risk limits" testId="save-risk" denied="Changing risk limits needs the admin role." />
        <Status message={message} />
      </HydrationGate>
    </form>
  );
}
