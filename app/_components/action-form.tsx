'use client';
import { createContext, startTransition, useActionState, useContext, useId, useRef, type ReactNode } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import { OneTimeValue } from './one-time-secret';
import { SubmitButton } from '@/app/_components/submit-button';

/** Field errors of the last submit of the enclosing ActionForm, by field name. */
const FieldErrorsContext = createContext<Record<string, string[]>>({});

/** `temporaryPassword` -> "Temporary password": a returned field's label when the form names none. */
export function labelOfKey(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A form bound to a gated server action. Shows the error (with field errors) or, on success,
 * each returned value (labelled, `data-testid="result-<key>"`); the `secrets` among them (shown
 * once, never stored in plain text) each in a labelled box with a copy button.
 * Inputs rendered with {@link FormField} show their own field's error next to them. A refused submit
 * keeps what was typed; a successful one clears the form.
 */
export function ActionForm({
  action,
  children,
  submitLabel,
  testId,
  showResult = false,
  resultLabels = {},
  secrets = [],
  hiddenResults = [],
  className = 'action-form',
  danger = false,
  onDone,
  doneMessage,
}: {
  action: (input: unknown) => Promise<ActionResult<unknown>>;
  children?: ReactNode;
  submitLabel: string;
  testId?: string;
  showResult?: boolean;
  /** Labels of returned fields, by key (default: the key in words). */
  resultLabels?: Record<string, string>;
  /** Returned fields that are one-time secrets. */
  secrets?: readonly string[];
  /** Returned fields not worth showing (internal ids). */
  hiddenResults?: readonly string[];
  className?: string;
  danger?: boolean;
  /** Called after a successful submit with the action's data (e.g. to refetch polled data, or follow a queued job). */
  onDone?: (data: unknown) => void;
  /** Said after a successful submit (e.g. "Routing saved."), so the user knows the change is stored. */
  doneMessage?: string;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const [state, formAction, pending] = useActionState(async (_previous: ActionResult<unknown> | null, formData: FormData) => {
    const result = await action(formData);
    if (result.ok) {
      formRef.current?.reset();
      onDone?.(result.data);
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
      <SubmitButton busy={pending} className={danger ? 'danger' : undefined}>
        {submitLabel}
      </SubmitButton>
      {state?.ok && doneMessage && (
        <p role="status" data-testid="action-done">
          {doneMessage}
        </p>
      )}
      {state && !state.ok && (
        <p role="alert" className="error" data-testid="action-error">
          {state.error.message}
        </p>
      )}
      {state?.ok && showResult && state.data !== null && typeof state.data === 'object' && (
        <div className="result" data-testid="action-result">
          {Object.entries(state.data as Record<string, unknown>)
            .filter(([key]) => secrets.includes(key))
            .map(([key, value]) => (
              <OneTimeValue key={key} label={resultLabels[key] ?? labelOfKey(key)} value={String(value)} testId={`result-${key}`} />
            ))}
          <dl>
            {Object.entries(state.data as Record<string, unknown>)
              .filter(([key]) => !secrets.includes(key) && !hiddenResults.includes(key))
              .map(([key, value]) => (
                <div key={key}>
                  <dt>{resultLabels[key] ?? labelOfKey(key)}</dt>
                  <dd>
                    <code data-testid={`result-${key}`}>{typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}</code>
                  </dd>
                </div>
              ))}
          </dl>
        </div>
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
