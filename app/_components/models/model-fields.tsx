/**
 * The models fieldset of the backtest and session forms: a checkbox per model in the loop (regime →
 * risk per regime, volatility → size, stop distance → stop) with its parameters; a kind with no deployed
 * model is disabled with a hint to the Models page. Stateless, so server and client forms both use it.
 */
import type { ReactNode } from 'react';
import { LOOP_MODEL_KEYS, MODEL_PARAM_FIELDS, type DeployedLoopModels, type LoopModelKey } from './model-form';

const TITLES: Record<LoopModelKey, { label: string; effect: string; kind: string }> = {
  regime: { label: 'Regime model', effect: 'scales the risk per trade by the regime of the entry candle', kind: 'regime' },
  volatility: { label: 'Volatility model', effect: 'sizes each entry by target ÷ predicted volatility', kind: 'volatility' },
  stopDistance: { label: 'Stop-distance model', effect: 'sets the stop at the predicted adverse excursion', kind: 'stop-distance' },
};

/**
 * @param errors the form's field errors (a client form's state), shown next to their inputs; or
 * @param renderError how an error of a field is rendered (an ActionForm's `FieldErrorText`).
 */
export function ModelFields({
  idPrefix,
  deployed,
  errors = {},
  renderError,
}: {
  idPrefix: string;
  deployed: DeployedLoopModels;
  errors?: Record<string, string[]>;
  renderError?: (name: string) => ReactNode;
}) {
  const errorOf = (name: string) => {
    if (renderError) return renderError(name);
    const messages = errors[name];
    return messages?.length ? (
      <span className="field-error" id={`${idPrefix}-${name}-error`} data-testid={`field-error-${name}`}>
        {messages.join('; ')}
      </span>
    ) : null;
  };
  return (
    <fieldset className="strategy-box" data-testid="model-settings">
      <legend>Models in the loop (off unless ticked; blank = default)</legend>
      {LOOP_MODEL_KEYS.map((key) => {
        const version = deployed[key];
        const name = `models.${key}`;
        const title = TITLES[key];
        return (
          <div key={key} data-testid={`model-${key}`}>
            <label>
              <input type="checkbox" name={name} disabled={version === null} aria-describedby={`${idPrefix}-${key}-hint`} /> {title.label}{' '}
              <span className="muted" id={`${idPrefix}-${key}-hint`}>
                {version === null ? (
                  <>
                    (no {title.kind} model is deployed: train and deploy one on the <a href="/models">Models</a> page)
                  </>
                ) : (
                  <>
                    ({title.kind}@v{version} deployed; {title.effect})
                  </>
                )}
              </span>
            </label>
            {errorOf(name)}
            {version !== null && (
              <div className="filter-grid">
                {MODEL_PARAM_FIELDS[key].map((field) => {
                  const input = `${name}.${field.path}`;
                  const id = `${idPrefix}-${key}-${field.path.replace('.', '-')}`;
                  const invalid = errors[input]?.length ? { 'aria-invalid': true as const, 'aria-describedby': `${idPrefix}-${input}-error` } : {};
                  return (
                    <div className="field" key={field.path}>
                      <label htmlFor={id}>{field.label}</label>
                      <input id={id} name={input} inputMode="decimal" placeholder={field.placeholder} {...invalid} />
                      {errorOf(input)}
                    </div>
                  );
                })}
              </div>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
