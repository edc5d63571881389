import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  actionInfo,
  DOWNTIME_PER_REQUEST,
  paramSpecs,
  planView,
} from '../../../../src-main/app/views/action-view';
import { pinnedFacts, type ServerFacts } from '../../../../src-main/core/matrix/server-facts';
import { EXAMPLE_PROFILE_YAML } from '../../../../src-main/core/profile/example';
import { parseProfile } from '../../../../src-main/core/profile/load';
import { CATALOG } from '../../../../src-main/core/runbook/catalog';
import { createTokenActions } from '../../../../src-main/core/runbook/token-actions';
import { type AnyAction, DEFAULT_SETTINGS } from '../../../../src-main/core/runbook/types';
import type { SecretStore } from '../../../../src-main/core/secrets/types';
import { actionInfo as actionInfoSchema, plan as planSchema } from '../../../../src-main/ipc/contract';

const profile = parseProfile(EXAMPLE_PROFILE_YAML);
/** The token actions only read the keychain when they run; describing them touches nothing. */
const noKeychain: SecretStore = {
  get: async () => null,
  set: async () => {},
  has: async () => false,
  delete: async () => false,
};
const catalog = [...CATALOG, ...createTokenActions({ secrets: noKeychain })];
const info = (adminToken: boolean, server?: ServerFacts) =>
  catalog.map((a) =>
    actionInfo(a, { profile, settings: DEFAULT_SETTINGS, adminToken, ...(server ? { server } : {}) }),
  );

describe('actionInfo', () => {
  it('describes every catalog action in the contract shape', () => {
    for (const a of info(false)) expect(actionInfoSchema.safeParse(a).success, a.id).toBe(true);
    expect(info(false).map((a) => a.id)).toEqual(catalog.map((a) => a.id));
  });

  it('gives danger and downtime for this profile when they do not depend on the request', () => {
    const cli = new Map(info(false).map((a) => [a.id, a]));
    const room = new Map(info(true).map((a) => [a.id, a]));
    const api = new Map(
      info(true, { ...pinnedFacts(profile), running: '1.9.0', adminApi: 'served' }).map((a) => [a.id, a]),
    );
    expect(cli.get('user.make-admin')).toMatchObject({
      danger: 'outage',
      downtime: 'About 30 seconds while Tuwunel is stopped for the command.',
    });
    // Without asking the server, the list goes by the pin (1.7.0 in the example): the admin room.
    expect(room.get('user.make-admin')).toMatchObject({
      danger: 'disruptive',
      downtime: 'None, through the admin room.',
    });
    expect(api.get('user.make-admin')).toMatchObject({ downtime: 'None, through the admin API.' });
    expect(cli.get('user.make-admin')?.title).toBe('Make someone a server admin');
    expect(cli.get('stack.start')).toMatchObject({ danger: 'safe', readOnly: false });
    expect(cli.get('logs.follow')).toMatchObject({ danger: 'safe', readOnly: true });
    // admin.command's impact depends on the command: "per request", never "no downtime".
    expect(cli.get('admin.command')).toMatchObject({
      danger: null,
      downtime: DOWNTIME_PER_REQUEST,
      requiresAdminToken: true,
    });
    // token.rotate's downtime depends on `apply`: the default's (it applies) is shown.
    expect(cli.get('token.rotate')).toMatchObject({
      danger: 'disruptive',
      downtime: expect.stringMatching(/restart/),
    });
  });
});

describe('paramSpecs', () => {
  const specs = new Map(catalog.map((a) => [a.id, paramSpecs(a, profile)]));

  it('marks the shared parameters with their form rules', () => {
    expect(specs.get('user.make-admin')).toEqual([
      expect.objectContaining({
        name: 'user',
        label: 'Their Matrix ID',
        help: 'e.g. @alice:example.org, or just alice',
        kind: 'text',
        required: true,
        format: 'matrix-user',
        placeholder: '@alice:rampancy.cloud',
        rules: expect.arrayContaining([
          expect.objectContaining({ message: 'must be a user of rampancy.cloud' }),
        ]),
      }),
    ]);
    expect(specs.get('federation.allow')?.[0]).toMatchObject({
      name: 'server',
      format: 'server-name',
      maxLength: 255,
    });
    expect(specs.get('admin.command')?.[0]).toMatchObject({ format: 'admin-command', maxLength: 2000 });
    expect(specs.get('logs.follow')?.[0]).toMatchObject({
      kind: 'choice',
      default: 'matrix-tuwunel',
      required: false,
      options: profile.units.map((u) => ({ value: u, label: u })),
    });
    expect(specs.get('user.deactivate')?.[1]).toMatchObject({
      name: 'leaveRooms',
      label: 'Remove them from all their rooms',
      kind: 'boolean',
      default: true,
      help: "If unticked they stay listed in their rooms but can't write",
    });
    expect(specs.get('federation.allow')?.[0]).toMatchObject({
      label: 'Server name',
      help: 'e.g. chat.example.org',
    });
    expect(specs.get('token.rotate')?.[0]).toMatchObject({
      label: 'Make it live on the server now',
      help: 'Untick to only store it; apply later',
    });
    // The app passes the run to roll back itself: never a form field.
    expect(specs.get('token.rollback')).toEqual([]);
    expect(specs.get('stack.stop')).toEqual([]);
  });

  it('derives the rest from the schema: integers with bounds, labels from camelCase', () => {
    const base = CATALOG[0] as AnyAction;
    const action = {
      ...base,
      params: z
        .object({ maxUses: z.number().int().min(1).max(9), note: z.string().max(20).optional() })
        .strict(),
    } as unknown as AnyAction;
    expect(paramSpecs(action, profile)).toEqual([
      { name: 'maxUses', label: 'Max uses', kind: 'integer', required: true, min: 1, max: 9 },
      { name: 'note', label: 'Note', kind: 'text', required: false, format: 'plain', maxLength: 20 },
    ]);
    const loose = { ...base, params: z.string() } as unknown as AnyAction;
    expect(paramSpecs(loose, profile)).toEqual([]);
  });
});

describe('planView', () => {
  it('drops what cannot cross IPC (the builders, the locks) and keeps the facts', () => {
    const stop = catalog.find((a) => a.id === 'stack.stop');
    if (!stop) throw new Error('no stack.stop');
    const view = planView({
      action: stop,
      params: { user: '@bob:rampancy.cloud', leaveRooms: false, weird: { a: 1 }, none: undefined },
      danger: 'outage',
      downtime: 'Until you start it.',
      confirm: 'Stop everything.',
      route: null,
      routeWhy: null,
      locks: ['homeserver'],
      steps: [
        {
          id: 'stop-all',
          title: 'Stop',
          phase: 'main',
          kind: 'remote',
          host: 'homeserver',
          sudo: true,
          command: "systemctl stop 'matrix-*'",
          stdin: null,
          timeoutMs: 1000,
        },
      ],
    });
    expect(planSchema.safeParse(view).success).toBe(true);
    expect(view).not.toHaveProperty('action');
    expect(view).not.toHaveProperty('locks');
    expect(view.params).toEqual({ user: '@bob:rampancy.cloud', leaveRooms: false, weird: '[object Object]' });
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });
});
