import { z } from 'zod';
import { pinnedFacts, type ServerFacts } from '../../core/matrix/server-facts';
import type { Profile } from '../../core/profile/schema';
import { adminCommandParam, serverNameParam, unitParam, userParam } from '../../core/runbook/params';
import type { Plan as CorePlan } from '../../core/runbook/runner';
import type { AnyAction, PlanContext, RunbookSettings } from '../../core/runbook/types';
import { ACTION_GROUPS } from '../../core/vocab';
import { paramRules } from './param-rules';
import type { ActionInfo, ParamSpec, Plan } from './run-schema';
import { paramValues, plannedStep } from './run-view';

const LABELS: Record<string, string> = {
  user: 'Their Matrix ID',
  leaveRooms: 'Remove them from all their rooms',
  server: 'Server name',
  unit: 'Service',
  command: 'Command',
  apply: 'Make it live on the server now',
};

/** Parameters the app fills in itself (token.rollback's run, from the failed rotation's alert): never a form field. */
const NOT_IN_FORMS = new Set(['runId']);

function labelOf(name: string): string {
  const fallback = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return LABELS[name] ?? fallback.charAt(0).toUpperCase() + fallback.slice(1);
}

interface Unwrapped {
  base: z.ZodType;
  required: boolean;
  defaultValue: unknown;
}

/** Looks through `.default()`, `.optional()` and the transform pipe to the schema the value is checked by. */
function unwrap(schema: z.ZodType): Unwrapped {
  let s = schema;
  let required = true;
  let defaultValue: unknown;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; defaultValue?: unknown };
    if (def.type === 'default' && def.innerType) {
      required = false;
      defaultValue = def.defaultValue;
      s = def.innerType;
    } else if (def.type === 'optional' && def.innerType) {
      required = false;
      s = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      s = def.in;
    } else return { base: s, required, defaultValue };
  }
}

function isBooleanLike(s: z.ZodType): boolean {
  const def = s._zod.def as { type: string; options?: z.ZodType[] };
  return def.type === 'boolean' || (def.type === 'union' && !!def.options?.some((o) => isBooleanLike(o)));
}

function primitive(v: unknown): string | number | boolean | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

function paramSpec(
  name: string,
  field: z.ZodType,
  json: { description?: string; minimum?: number; maximum?: number; maxLength?: number },
  profile: Profile,
): ParamSpec {
  const { base, required, defaultValue } = unwrap(field);
  const spec: ParamSpec = { name, label: labelOf(name), kind: 'text', required };
  const help = json.description ?? field.description ?? base.description;
  if (help) spec.help = help;
  const d = primitive(defaultValue);
  if (d !== undefined) spec.default = d;

  if (base === userParam) {
    Object.assign(spec, {
      format: 'matrix-user',
      maxLength: 300,
      placeholder: `@alice:${profile.serverName}`,
      rules: paramRules.matrixUser(profile.serverName),
    });
  } else if (base === serverNameParam) {
    Object.assign(spec, {
      format: 'server-name',
      maxLength: 255,
      placeholder: 'chat.example.org',
      rules: paramRules.serverName(),
    });
  } else if (base === unitParam) {
    Object.assign(spec, {
      kind: 'choice',
      format: 'systemd-unit',
      options: profile.units.map((u) => ({ value: u, label: u })),
    });
  } else if (base === adminCommandParam) {
    Object.assign(spec, {
      format: 'admin-command',
      maxLength: 2000,
      placeholder: '!admin server uptime',
      rules: [
        { pattern: '^[^\\p{Cc}]+$', flags: 'u', message: 'must be one line without control characters' },
      ],
    });
  } else if (isBooleanLike(base)) {
    spec.kind = 'boolean';
  } else if ((base._zod.def as { type: string }).type === 'number') {
    spec.kind = 'integer';
    if (json.minimum !== undefined) spec.min = json.minimum;
    if (json.maximum !== undefined) spec.max = json.maximum;
  } else {
    spec.format = 'plain';
    if (json.maxLength !== undefined) spec.maxLength = json.maxLength;
  }
  return spec;
}

export function paramSpecs(action: AnyAction, profile: Profile): ParamSpec[] {
  const schema = action.params as unknown as z.ZodType;
  if (!(schema instanceof z.ZodObject)) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Record<string, unknown>>;
  };
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([name]) => !NOT_IN_FORMS.has(name))
    .map(([name, field]) =>
      paramSpec(name, field, (json.properties?.[name] ?? {}) as Parameters<typeof paramSpec>[2], profile),
    );
}

/**
 * What an action's builder answers when it does not look at the parameters; null when it does (the value
 * is "per request" then, and the plan of the request says). A params object that throws on every read
 * tells the two apart without guessing from the action's id.
 */
function paramFree<T>(
  fn: (ctx: PlanContext<Record<string, unknown>>) => T,
  ctx: PlanContext<never>,
): T | null {
  const params = new Proxy(
    {},
    {
      get() {
        throw new Error('depends on the parameters');
      },
    },
  ) as Record<string, unknown>;
  try {
    return fn({ ...ctx, params });
  } catch {
    return null;
  }
}

/** Said when the downtime depends on parameters that have no default (admin.command's command). */
export const DOWNTIME_PER_REQUEST = 'Depends on the request; the confirm step names it.';

/**
 * The downtime in words, never null: the window reads null as "no downtime". When it depends on the
 * parameters, it is the one of the defaults (token.rotate applies unless told not to).
 */
function downtimeOf(action: AnyAction, ctx: PlanContext<never>): string {
  const fixed = paramFree(action.downtime, ctx);
  if (fixed !== null) return fixed;
  const defaults = action.params.safeParse({});
  if (!defaults.success) return DOWNTIME_PER_REQUEST;
  try {
    return action.downtime({ ...ctx, params: defaults.data });
  } catch {
    return DOWNTIME_PER_REQUEST;
  }
}

export interface ActionViewContext {
  profile: Profile;
  settings: RunbookSettings;
  /** A Matrix admin access token is stored: user actions go through the admin API or the admin room. */
  adminToken: boolean;
  /** What the server said; the list uses the profile's pin when it was not asked (the plan always asks). */
  server?: ServerFacts;
}

function group(g: string): ActionInfo['group'] {
  return (ACTION_GROUPS as readonly string[]).includes(g) ? (g as ActionInfo['group']) : 'Admin';
}

export function actionInfo(action: AnyAction, ctx: ActionViewContext): ActionInfo {
  const planCtx = {
    profile: ctx.profile,
    adminToken: ctx.adminToken,
    server: ctx.server ?? pinnedFacts(ctx.profile),
    settings: ctx.settings,
    startedAt: new Date(),
    scratch: {},
    dryRun: true,
  } as unknown as PlanContext<never>;
  return {
    id: action.id,
    title: action.title,
    description: action.description,
    group: group(action.group),
    host: action.host,
    danger: paramFree(action.danger, planCtx),
    downtime: downtimeOf(action, planCtx),
    readOnly: action.readOnly === true,
    requiresAdminToken: action.requiresAdminToken === true,
    params: paramSpecs(action, ctx.profile),
  };
}

/** The core's plan without what cannot cross IPC (the action's builder functions) or is internal (locks). */
export function planView(plan: CorePlan): Plan {
  return {
    actionId: plan.action.id,
    params: paramValues(plan.params),
    danger: plan.danger,
    downtime: plan.downtime,
    confirm: plan.confirm,
    route: plan.route,
    routeWhy: plan.routeWhy,
    steps: plan.steps.map(plannedStep),
    confirmation: plan.confirmation ?? null,
  };
}
