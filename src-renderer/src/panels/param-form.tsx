import { type ReactNode, useId, useMemo, useState } from 'react';
import type { ActionInfo, ParamSpec, ParamValues } from '../../../src-main/ipc/contract';
import { type FormValues, initialValues, validateParams } from '../lib/param-schema';
import { useApp } from '../store/store';

function Field({
  spec,
  value,
  error,
  onChange,
  onBlur,
}: {
  spec: ParamSpec;
  value: string | boolean;
  error: string | null;
  onChange: (v: string | boolean) => void;
  onBlur: () => void;
}) {
  const id = useId();
  // A box shows its default by being ticked or not: "(default true)" in its help says it twice.
  const help = spec.kind === 'boolean' ? spec.help?.replace(/\s*\(default (true|false)\)$/, '') : spec.help;
  const describedBy = [error ? `${id}-error` : null, help ? `${id}-help` : null].filter(Boolean).join(' ');
  const common = {
    id,
    'aria-invalid': error !== null,
    'aria-describedby': describedBy || undefined,
    onBlur,
  };
  let input: React.ReactNode;
  if (spec.kind === 'boolean') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={value === true}
        onChange={(e) => onChange(e.target.checked)}
      />
    );
  } else if (spec.kind === 'choice') {
    input = (
      <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
        {!spec.required && <option value="">—</option>}
        {(spec.options ?? []).map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        {...common}
        type="text"
        inputMode={spec.kind === 'integer' ? 'numeric' : undefined}
        className={spec.format && spec.format !== 'plain' ? 'mono' : undefined}
        value={String(value)}
        placeholder={spec.placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className={spec.kind === 'boolean' ? 'field field-check' : 'field'}>
      <label htmlFor={id}>
        {spec.label}
        {!spec.required && spec.kind !== 'boolean' && <span className="optional"> (optional)</span>}
      </label>
      {input}
      {help && (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * An action's parameters, checked on every keystroke with zod built from the catalog's description; the
 * core checks again when the run is requested and its verdict lands at the field it names. `details` (how
 * the action works) sits in a disclosure with the dry run, which checks the same parameters.
 */
export function ParamForm({ action, details }: { action: ActionInfo; details?: ReactNode }) {
  const requestRun = useApp((s) => s.requestRun);
  const showDryRun = useApp((s) => s.showDryRun);
  const runError = useApp((s) => (s.runError?.actionId === action.id ? s.runError.error : null));
  const requesting = useApp((s) => s.requesting === action.id);
  const [values, setValues] = useState<FormValues>(() => initialValues(action.params));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrorFor, setServerErrorFor] = useState<FormValues | null>(null);
  const validation = useMemo(() => validateParams(action.params, values), [action.params, values]);

  function errorOf(name: string): string | null {
    if (!validation.ok && (touched.has(name) || submitted)) {
      const e = validation.errors[name];
      if (e) return e;
    }
    // The core's refusal belongs to the values it judged; editing the field retires it.
    if (runError?.field === name && serverErrorFor === values) return runError.message;
    return null;
  }

  function change(name: string, v: string | boolean): void {
    setValues((old) => ({ ...old, [name]: v }));
    setTouched((old) => new Set(old).add(name));
  }

  function submit(kind: 'run' | 'dry'): void {
    setSubmitted(true);
    if (!validation.ok) return;
    const params: ParamValues = validation.params;
    if (kind === 'dry') void showDryRun(action.id, params);
    else {
      setServerErrorFor(values);
      void requestRun(action.id, params);
    }
  }

  return (
    <form
      className="param-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit('run');
      }}
    >
      {action.params.map((spec) => (
        <Field
          key={spec.name}
          spec={spec}
          value={values[spec.name] ?? ''}
          error={errorOf(spec.name)}
          onChange={(v) => change(spec.name, v)}
          onBlur={() => setTouched((old) => new Set(old).add(spec.name))}
        />
      ))}
      {runError && !runError.field && serverErrorFor === values && (
        <p className="field-error" role="alert">
          {runError.message} {runError.nextStep}
        </p>
      )}
      <div className="button-row">
        <button
          type="submit"
          className={action.danger === 'safe' || action.readOnly ? 'primary' : 'danger-button'}
          aria-label={`Run: ${action.title}`}
          disabled={requesting}
        >
          Run{action.danger === 'safe' || action.readOnly ? '' : '…'}
        </button>
      </div>
      <details className="action-details">
        <summary className="disclosure">Details</summary>
        {details}
        <button
          type="button"
          className="link-button"
          aria-label={`Dry run: ${action.title}`}
          onClick={() => submit('dry')}
        >
          Show the exact commands (dry run)
        </button>
      </details>
    </form>
  );
}
