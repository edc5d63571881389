import { z } from 'zod';
import type { ParamSpec, ParamValues } from '../../../src-main/ipc/contract';

/** Form values as the inputs hold them: text inputs give strings, checkboxes booleans. */
export type FormValues = Record<string, string | boolean>;

type Check = (raw: string) => { value: string | number } | { problem: string };

function textCheck(spec: ParamSpec): Check {
  const rules = (spec.rules ?? []).map((r) => ({
    re: new RegExp(r.pattern, r.flags ?? ''),
    message: r.message,
  }));
  return (raw) => {
    if (spec.maxLength !== undefined && raw.length > spec.maxLength)
      return { problem: `must be at most ${spec.maxLength} characters` };
    const failed = rules.find((r) => !r.re.test(raw));
    return failed ? { problem: failed.message } : { value: raw.trim() };
  };
}

function integerCheck(spec: ParamSpec): Check {
  return (raw) => {
    const v = raw.trim();
    if (!/^-?\d+$/.test(v)) return { problem: 'must be a whole number' };
    const n = Number(v);
    if (spec.min !== undefined && n < spec.min) return { problem: `must be at least ${spec.min}` };
    if (spec.max !== undefined && n > spec.max) return { problem: `must be at most ${spec.max}` };
    return { value: n };
  };
}

function choiceCheck(spec: ParamSpec): Check {
  const values = (spec.options ?? []).map((o) => o.value);
  return (raw) => (values.includes(raw) ? { value: raw } : { problem: 'is not one of the choices' });
}

function fieldSchema(spec: ParamSpec): z.ZodType {
  if (spec.kind === 'boolean') return z.boolean();
  const check =
    spec.kind === 'integer'
      ? integerCheck(spec)
      : spec.kind === 'choice'
        ? choiceCheck(spec)
        : textCheck(spec);
  return z.string().transform((raw, ctx) => {
    if (raw.trim() === '') {
      if (spec.required) ctx.addIssue({ code: 'custom', message: 'is required' });
      return undefined;
    }
    const r = check(raw);
    if ('problem' in r) {
      ctx.addIssue({ code: 'custom', message: r.problem });
      return z.NEVER;
    }
    return r.value;
  });
}

const built = new WeakMap<readonly ParamSpec[], z.ZodObject>();

/** The zod schema of an action's whole form, built once per catalog description. */
export function paramsSchema(specs: readonly ParamSpec[]): z.ZodObject {
  let schema = built.get(specs);
  if (!schema) {
    schema = z.object(Object.fromEntries(specs.map((s) => [s.name, fieldSchema(s)])));
    built.set(specs, schema);
  }
  return schema;
}

export function initialValues(specs: readonly ParamSpec[]): FormValues {
  return Object.fromEntries(
    specs.map((s) => [
      s.name,
      s.kind === 'boolean' ? s.default === true : s.default === undefined ? '' : String(s.default),
    ]),
  );
}

export type Validation = { ok: true; params: ParamValues } | { ok: false; errors: Record<string, string> };

/** Validates the form; error texts read "<label> <problem>", e.g. "User ID needs the form @localpart:server". */
export function validateParams(specs: readonly ParamSpec[], values: FormValues): Validation {
  const parsed = paramsSchema(specs).safeParse(values);
  if (parsed.success) {
    const params: ParamValues = {};
    for (const [k, v] of Object.entries(parsed.data)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = v;
    }
    return { ok: true, params };
  }
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '');
    const spec = specs.find((s) => s.name === name);
    if (spec && !(name in errors)) errors[name] = `${spec.label} ${issue.message}`;
  }
  return { ok: false, errors };
}
