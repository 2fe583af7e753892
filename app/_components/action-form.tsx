'use client';
import { createContext, startTransition, useActionState, useContext, useId, useRef, type ReactNode } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';

/** Field errors of the last submit of the enclosing ActionForm, by field name. */
const FieldErrorsContext = createContext<Record<string, string[]>>({});

/**
 * A form bound to a gated server action. Shows the error (with field errors) or, on success,
 * each returned value with `data-testid="result-<key>"` — secrets shown once live only here.
 * Inputs rendered with {@link FormField} show their own field's error next to them. A refused submit
 * keeps what was typed; a successful one clears the form.
 */
export function ActionForm({
  action,
  children,
  submitLabel,
  testId,
  showResult = false,
  className = 'action-form',
  danger = false,
  onDone,
}: {
  action: (input: unknown) => Promise<ActionResult<unknown>>;
  children?: ReactNode;
  submitLabel: string;
  testId?: string;
  showResult?: boolean;
  className?: string;
  danger?: boolean;
  /** Called after a successful submit (e.g. to refetch polled data). */
  onDone?: () => void;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const [state, formAction, pending] = useActionState(async (_previous: ActionResult<unknown> | null, formData: FormData) => {
    const result = await action(formData);
    if (result.ok) {
      formRef.current?.reset();
      onDone?.();
    }
    return result;
  }, null);
  const fieldErrors = state && !state.ok ? (state.error.fieldErrors ?? {}) : {};
  return (
    <form
      ref={formRef}
      action={formAction}
      // Submitted by hand so a refused submit keeps what was typed (a form action resets the form); cleared after a success.
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        startTransition(() => formAction(data));
      }}
      data-testid={testId}
      className={className}
    >
      <FieldErrorsContext.Provider value={fieldErrors}>{children}</FieldErrorsContext.Provider>
      <button type="submit" disabled={pending} className={danger ? 'danger' : undefined}>
        {submitLabel}
      </button>
      {state && !state.ok && (
        <p role="alert" className="error" data-testid="action-error">
          {state.error.message}
        </p>
      )}
      {state?.ok && showResult && state.data !== null && typeof state.data === 'object' && (
        <dl className="result" data-testid="action-result">
          {Object.entries(state.data as Record<string, unknown>).map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>
                <code data-testid={`result-${key}`}>{String(value)}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </form>
  );
}

/**
 * A labelled input (or select, via `options`) inside an ActionForm, with the error the server
 * returned for `name` right under it (`data-testid="error-<name>"`).
 */
export function FormField({
  name,
  label,
  hint,
  type = 'text',
  defaultValue,
  options,
  required,
  step,
  placeholder,
}: {
  name: string;
  label: string;
  hint?: string;
  type?: string;
  defaultValue?: string | number;
  options?: readonly (string | { value: string; label: string })[];
  required?: boolean;
  step?: string;
  placeholder?: string;
}) {
  const id = useId();
  const errors = useContext(FieldErrorsContext)[name];
  const invalid = Boolean(errors?.length);
  const describedBy = invalid ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {hint ? <span className="muted"> ({hint})</span> : null}
      </label>
      {options ? (
        <select id={id} name={name} defaultValue={defaultValue} aria-invalid={invalid} aria-describedby={describedBy}>
          {options.map((o) => {
            const option = typeof o === 'string' ? { value: o, label: o } : o;
            return (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            );
          })}
        </select>
      ) : (
        <input id={id} name={name} type={type} step={step} defaultValue={defaultValue} required={required} placeholder={placeholder} aria-invalid={invalid} aria-describedby={describedBy} />
      )}
      {invalid && (
        <p className="field-error" id={`${id}-error`} data-testid={`error-${name}`} role="alert">
          {errors!.join('; ')}
        </p>
      )}
    </div>
  );
}

/** The server's error for a field rendered without {@link FormField} (a checkbox group), inside an ActionForm. */
export function FieldErrorText({ name }: { name: string }) {
  const errors = useContext(FieldErrorsContext)[name];
  if (!errors?.length) return null;
  return (
    <p className="field-error" data-testid={`error-${name}`} role="alert">
      {errors.join('; ')}
    </p>
  );
}
