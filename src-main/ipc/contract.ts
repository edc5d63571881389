/**
 * The one IPC contract between the main process and the window: every channel exactly once.
 *
 * - `invokeChannels`: request/response calls. The router validates each request with its schema before it
 *   reaches the app, and answers with `Result<value>`: errors travel as sentences (describeError), never as
 *   thrown exceptions or stack traces.
 * - `eventChannels`: main → window pushes, each with its payload schema.
 *
 * The channels are written per namespace in contract/*.ts and joined here into the one table. What they
 * carry are the app's views (app/views/*-schema.ts: JSON-safe, times as ISO 8601 strings), re-exported
 * below so the window imports its types from this one file.
 *
 * Everything this file reaches imports only zod and the vocabulary: the renderer typechecks it with DOM
 * types and no Node types, and imports nothing from it but types. The router imports it at runtime; the
 * preload imports only channels.ts, the zod-free list of the channel names that `buildApi` turns into
 * `window.api`.
 *
 * The registration token crosses this boundary in exactly one place, `token.reveal`, for a 10 s display.
 */
import type { z } from 'zod';
import type { EventChannelName, InvokeChannelName } from './channels';
import { actionsInvoke } from './contract/actions';
import { alertsInvoke } from './contract/alerts';
import { appEvents, appInvoke } from './contract/app';
import type { Result } from './contract/call';
import { historyInvoke } from './contract/history';
import { hostkeyEvents, hostkeyInvoke } from './contract/hostkey';
import { inviteEvents, inviteInvoke } from './contract/invite';
import { logsEvents, logsInvoke } from './contract/logs';
import { matrixInvoke } from './contract/matrix';
import { mutesInvoke } from './contract/mutes';
import { onboardingInvoke } from './contract/onboarding';
import { peopleInvoke } from './contract/people';
import { profilesEvents, profilesInvoke } from './contract/profiles';
import { runEvents, runsInvoke } from './contract/runs';
import { secretsInvoke } from './contract/secrets';
import { settingsEvents, settingsInvoke } from './contract/settings';
import { statusEvents, statusInvoke } from './contract/status';
import { clipboardEvents, tokenEvents, tokenInvoke } from './contract/token';

export * from '../app/views/alert-channel-schema';
export * from '../app/views/common-schema';
export * from '../app/views/history-schema';
export { paramRules } from '../app/views/param-rules';
export * from '../app/views/people-schema';
export * from '../app/views/profile-schema';
export * from '../app/views/run-schema';
export * from '../app/views/secret-schema';
export * from '../app/views/status-schema';
export { buildApi, eventMethodName } from './channels';
export { httpsUrl, type NavigateTarget, navigateTarget, type Panel, panel } from './contract/app';
export { type Result, resultSchema } from './contract/call';
export { type SecretRef, secretRef } from './contract/secrets';

// ───────────────────────────── the channels ─────────────────────────────

export const invokeChannels = {
  ...appInvoke,
  ...settingsInvoke,
  ...profilesInvoke,
  ...onboardingInvoke,
  ...hostkeyInvoke,
  ...statusInvoke,
  ...actionsInvoke,
  ...runsInvoke,
  ...logsInvoke,
  ...tokenInvoke,
  ...inviteInvoke,
  ...peopleInvoke,
  ...secretsInvoke,
  ...matrixInvoke,
  ...historyInvoke,
  ...alertsInvoke,
  ...mutesInvoke,
} as const satisfies Record<InvokeChannelName, { request: z.ZodType; result: z.ZodType }>;

export const eventChannels = {
  ...statusEvents,
  ...runEvents,
  ...logsEvents,
  ...hostkeyEvents,
  ...tokenEvents,
  ...clipboardEvents,
  ...inviteEvents,
  ...settingsEvents,
  ...profilesEvents,
  ...appEvents,
} as const satisfies Record<EventChannelName, z.ZodType>;

export type InvokeChannels = typeof invokeChannels;
export type EventChannels = typeof eventChannels;
export type InvokeChannel = keyof InvokeChannels;
export type EventChannel = keyof EventChannels;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/**
 * channels.ts lists exactly the channels above, both ways: a name missing on either side fails to compile
 * here (and `satisfies` above names the key).
 */
export type ChannelNamesMatch = [
  Holds<Same<InvokeChannel, InvokeChannelName>>,
  Holds<Same<EventChannel, EventChannelName>>,
];

export type RequestOf<C extends InvokeChannel> = z.input<InvokeChannels[C]['request']>;
export type ValueOf<C extends InvokeChannel> = z.output<InvokeChannels[C]['result']>;
export type PayloadOf<E extends EventChannel> = z.output<EventChannels[E]>;

// ───────────────────────────── window.api, derived ─────────────────────────────

type Namespace<C extends string> = C extends `${infer N}.${string}` ? N : never;
type Method<C extends string> = C extends `${string}.${infer M}` ? M : never;

type InvokeFn<C extends InvokeChannel> =
  RequestOf<C> extends Record<string, never>
    ? (request?: RequestOf<C>) => Promise<Result<ValueOf<C>>>
    : (request: RequestOf<C>) => Promise<Result<ValueOf<C>>>;

type Pascal<S extends string> = S extends `${infer A}.${infer B}`
  ? `${Capitalize<A>}${Pascal<B>}`
  : Capitalize<S>;
export type EventMethodName<E extends EventChannel> = `on${Pascal<E>}`;

export type InvokeApi = {
  [N in Namespace<InvokeChannel>]: {
    [C in InvokeChannel as C extends `${N}.${string}` ? Method<C> : never]: InvokeFn<C>;
  };
};

export type EventApi = {
  [E in EventChannel as EventMethodName<E>]: (listener: (payload: PayloadOf<E>) => void) => () => void;
};

/** The shape of `window.api`: `api.status.refresh()`, `api.onStatusChanged(cb)` → unsubscribe. */
export type Api = InvokeApi & EventApi;

/** One event as the router forwards it: a channel of the contract and its validated payload. */
export type ContractEvent = { [E in EventChannel]: { channel: E; payload: PayloadOf<E> } }[EventChannel];
