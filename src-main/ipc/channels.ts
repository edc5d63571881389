/**
 * The contract's channel names and `buildApi`, without the schemas. The preload (and the E2E harness's
 * stand-in for it) needs only the names to build `window.api`; importing contract.ts there would bundle all
 * of zod into the window's first script for nothing. contract.ts declares its channels against these lists,
 * so a channel added, removed or renamed on one side and not the other does not compile.
 *
 * Nothing but types may be imported here: this module must stay free of zod at runtime.
 */
import type { Api, EventChannel, EventMethodName, InvokeChannel, Result } from './contract';

export const INVOKE_CHANNEL_NAMES = [
  'app.info',
  'app.openExternal',
  'settings.get',
  'settings.set',
  'profiles.list',
  'profiles.get',
  'profiles.example',
  'profiles.validate',
  'profiles.save',
  'profiles.importYaml',
  'profiles.importFile',
  'profiles.select',
  'profiles.delete',
  'onboarding.testHost',
  'hostkey.trust',
  'hostkey.forget',
  'status.get',
  'status.refresh',
  'status.all',
  'actions.list',
  'actions.plan',
  'actions.run',
  'runs.list',
  'runs.get',
  'runs.cancel',
  'runs.copyOutput',
  'logs.follow',
  'logs.stop',
  'token.copy',
  'token.reveal',
  'token.rotate',
  'token.rollback',
  'invite.create',
  'invite.list',
  'invite.copyToken',
  'invite.copyInstructions',
  'invite.revoke',
  'invite.revokeUnused',
  'invite.autoJoinRooms',
  'people.list',
  'people.show',
  'people.devices',
  'people.signOut',
  'people.deactivate',
  'people.setAdmin',
  'people.resetPassword',
  'people.sendNotice',
  'secrets.list',
  'secrets.has',
  'secrets.set',
  'secrets.delete',
  'matrix.login',
  'matrix.logout',
  'history.summary',
  'history.check',
  'history.incidents',
  'alerts.channels',
  'alerts.setSecret',
  'alerts.deleteSecret',
  'alerts.test',
  'mutes.set',
  'mutes.clear',
] as const;

export const EVENT_CHANNEL_NAMES = [
  'status.changed',
  'run.updated',
  'run.output',
  'run.finished',
  'logs.lines',
  'logs.ended',
  'hostkey.prompt',
  'token.revealExpired',
  'clipboard.cleared',
  'invite.ended',
  'settings.changed',
  'profiles.changed',
  'app.navigate',
] as const;

export type InvokeChannelName = (typeof INVOKE_CHANNEL_NAMES)[number];
export type EventChannelName = (typeof EVENT_CHANNEL_NAMES)[number];

export function eventMethodName<E extends EventChannel>(channel: E): EventMethodName<E> {
  const pascal = channel
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  return `on${pascal}` as EventMethodName<E>;
}

/**
 * Builds `window.api` from two transport functions. The preload passes ipcRenderer-backed ones; tests and
 * the E2E harness pass their own. Only the channel names come from here; validation is the router's job.
 */
export function buildApi(
  invoke: (channel: InvokeChannel, request: unknown) => Promise<Result<unknown>>,
  subscribe: (channel: EventChannel, listener: (payload: unknown) => void) => () => void,
): Api {
  const api: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNEL_NAMES) {
    const [ns, method] = channel.split('.') as [string, string];
    const group = (api[ns] ?? {}) as Record<string, unknown>;
    group[method] = (request?: unknown) => invoke(channel, request ?? {});
    api[ns] = group;
  }
  for (const channel of EVENT_CHANNEL_NAMES) {
    api[eventMethodName(channel)] = (listener: (payload: unknown) => void) => subscribe(channel, listener);
  }
  return api as Api;
}
