import { DecisionOutcome } from '@/engine/ports/journal';

/** One labelled filter field; its error (from the URL params) is linked with aria-describedby. */
function Field({ name, label, error, children }: { name: string; label: string; error?: string; children: React.ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      {children}
      {error && (
        <span className="field-error" id={`f-${name}-error`} data-testid={`error-${name}`}>
          {error}
        </span>
      )}
    </div>
  );
}

/**
 * The journal filter form: a plain GET form, so every filter lands in the URL search params
 * (bookmarkable, back-button friendly) and works without JavaScript.
 */
export function JournalFilters({
  kind,
  action,
  values,
  errors,
  accounts,
}: {
  kind: 'trades' | 'decisions';
  action: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  /** The accounts to choose from: id and name. */
  accounts: readonly { id: string; name: string }[];
}) {
  const input = (name: string, type = 'text', placeholder?: string) => (
    <input
      id={`f-${name}`}
      name={name}
      type={type}
      defaultValue={values[name] ?? ''}
      placeholder={placeholder}
      aria-invalid={errors[name] ? true : undefined}
      aria-describedby={errors[name] ? `f-${name}-error` : undefined}
    />
  );
  const select = (name: string, options: readonly string[], anyLabel: string) => (
    <select id={`f-${name}`} name={name} defaultValue={values[name] ?? ''} aria-invalid={errors[name] ? true : undefined} aria-describedby={errors[name] ? `f-${name}-error` : undefined}>
      <option value="">{anyLabel}</option>
      {options.map((o) => (
        <option key={o} value={o}>
          {o.replace('_', ' ')}
        </option>
      ))}
    </select>
  );
  const outcomes = kind === 'trades' ? ['win', 'loss'] : Object.values(DecisionOutcome);
  const sorts = kind === 'trades' ? ['time', 'pnl', 'symbol'] : ['time', 'symbol'];
  return (
    <form method="get" action={action} className="filter-grid" data-testid={`${kind}-filters`} aria-label={`Filter ${kind}`}>
      <Field name="symbol" label="Symbol" error={errors.symbol}>{input('symbol', 'text', 'BTC/USDT')}</Field>
      <Field name="strategy" label="Strategy" error={errors.strategy}>{input('strategy', 'text', 'ma-crossover')}</Field>
      <Field name="side" label="Side" error={errors.side}>{select('side', kind === 'trades' ? ['long', 'short'] : ['long', 'short', 'flat'], 'any side')}</Field>
      <Field name="outcome" label="Outcome" error={errors.outcome}>{select('outcome', outcomes, 'any outcome')}</Field>
      <Field name="from" label="From (UTC)" error={errors.from}>{input('from', 'date')}</Field>
      <Field name="to" label="To (UTC, inclusive)" error={errors.to}>{input('to', 'date')}</Field>
      <Field name="account" label="Account" error={errors.account}>
        <select id="f-account" name="account" defaultValue={values.account ?? ''} aria-invalid={errors.account ? true : undefined} aria-describedby={errors.account ? 'f-account-error' : undefined}>
          <option value="">any account or run</option>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name === a.id ? a.id : `${a.name} (${a.id})`}
            </option>
          ))}
          {values.account && !accounts.some((a) => a.id === values.account) && <option value={values.account}>{values.account}</option>}
        </select>
      </Field>
      <Field name="run" label="Run id" error={errors.run}>{input('run')}</Field>
      <Field name="sort" label="Sort by" error={errors.sort}>{select('sort', sorts, 'time (default)')}</Field>
      <Field name="dir" label="Direction" error={errors.dir}>{select('dir', ['desc', 'asc'], 'desc (default)')}</Field>
      <div className="actions-row">
        <button type="submit">Apply</button>
        <a href={action}>Reset</a>
      </div>
    </form>
  );
}
