import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_CHANNEL_NAMES, INVOKE_CHANNEL_NAMES } from '../../src-main/ipc/channels';
import {
  eventChannels,
  eventMethodName,
  invokeChannels,
  paramSpec,
  resultSchema,
  secretRef,
  statusSnapshot,
} from '../../src-main/ipc/contract';
import { fakeApi } from './fake-api';
import * as fx from './fixtures';

const REPO = join(import.meta.dirname, '../..');

describe('ipc contract', () => {
  it('derives one window.api function per invoke channel and one onX per event channel', () => {
    const { api } = fakeApi({});
    for (const channel of Object.keys(invokeChannels)) {
      const [ns, method] = channel.split('.') as [string, string];
      expect(typeof (api as unknown as Record<string, Record<string, unknown>>)[ns]?.[method], channel).toBe(
        'function',
      );
    }
    for (const channel of Object.keys(eventChannels)) {
      expect(
        typeof (api as unknown as Record<string, unknown>)[
          eventMethodName(channel as keyof typeof eventChannels)
        ],
      ).toBe('function');
    }
    expect(eventMethodName('status.changed')).toBe('onStatusChanged');
    expect(eventMethodName('token.revealExpired')).toBe('onTokenRevealExpired');
  });

  it('names in channels.ts (what the preload builds window.api from) are exactly the contract’s channels', () => {
    expect([...INVOKE_CHANNEL_NAMES].sort()).toEqual(Object.keys(invokeChannels).sort());
    expect([...EVENT_CHANNEL_NAMES].sort()).toEqual(Object.keys(eventChannels).sort());
    expect(new Set(INVOKE_CHANNEL_NAMES).size).toBe(INVOKE_CHANNEL_NAMES.length);
    expect(new Set(EVENT_CHANNEL_NAMES).size).toBe(EVENT_CHANNEL_NAMES.length);
  });

  it('channels.ts and the preload load no zod: their only runtime imports are channels.ts and electron', () => {
    const runtimeImports = (file: string) =>
      [
        ...readFileSync(join(REPO, file), 'utf8').matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms),
      ].map((m) => m[1]);
    expect(runtimeImports('src-main/ipc/channels.ts')).toEqual([]);
    expect(runtimeImports('src-main/desktop/preload.ts')).toEqual(['electron', '../ipc/channels']);
    expect(runtimeImports('tests/e2e/harness/page-api.ts')).toEqual(['../../../src-main/ipc/channels']);
  });

  it('uses each name once across invoke and event channels (they become the IPC channel names)', () => {
    const invoke = Object.keys(invokeChannels);
    const events = Object.keys(eventChannels);
    expect(invoke.filter((c) => events.includes(c))).toEqual([]);
    for (const c of [...invoke, ...events]) expect(c).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
  });

  it('passes the channel name and request through, and an empty request for argument-less calls', async () => {
    const f = fakeApi({
      'status.get': () => fx.greenStatus,
      'runs.get': () => ({ ...fx.run(), output: [] }),
    });
    await f.api.status.get();
    await f.api.runs.get({ runId: 'run-7' });
    expect(f.calls).toEqual([
      { channel: 'status.get', request: {} },
      { channel: 'runs.get', request: { runId: 'run-7' } },
    ]);
  });

  it('has no channel that reads a secret back, and the token only in token.reveal', () => {
    expect(Object.keys(invokeChannels).filter((c) => c.startsWith('secrets.'))).toEqual([
      'secrets.list',
      'secrets.has',
      'secrets.set',
      'secrets.delete',
    ]);
    const carriesToken = Object.entries(invokeChannels)
      .filter(([, def]) => JSON.stringify(def.result.toJSONSchema?.() ?? {}).includes('"token"'))
      .map(([c]) => c);
    expect(carriesToken).toEqual(['token.reveal']);
  });

  it('every request schema rejects unknown keys, so the router never passes along stray data', () => {
    for (const [channel, def] of Object.entries(invokeChannels)) {
      const sample = def.request.safeParse({ unexpected: 1 });
      expect(sample.success, channel).toBe(false);
    }
  });

  it('ties per-host secrets to a host and the others to none', () => {
    expect(secretRef.safeParse({ kind: 'sudo-password', host: 'homeserver' }).success).toBe(true);
    expect(secretRef.safeParse({ kind: 'sudo-password', host: null }).success).toBe(false);
    expect(secretRef.safeParse({ kind: 'vault-password', host: null }).success).toBe(true);
    expect(secretRef.safeParse({ kind: 'vault-password', host: 'deploy' }).success).toBe(false);
  });

  it('refuses non-https URLs for openExternal', () => {
    const req = invokeChannels['app.openExternal'].request;
    expect(req.safeParse({ url: 'https://app.element.io' }).success).toBe(true);
    expect(req.safeParse({ url: 'http://app.element.io' }).success).toBe(false);
    expect(req.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(req.safeParse({ url: 'javascript:alert(1)' }).success).toBe(false);
  });

  it('accepts the fixtures the renderer tests use (they are real contract values)', () => {
    expect(statusSnapshot.parse(fx.greenStatus)).toEqual(fx.greenStatus);
    expect(statusSnapshot.parse(fx.maintenanceStatus)).toEqual(fx.maintenanceStatus);
    for (const a of fx.catalog) for (const p of a.params) expect(paramSpec.parse(p)).toEqual(p);
    const wrapped = resultSchema(invokeChannels['status.get'].result);
    expect(wrapped.safeParse({ ok: true, value: fx.greenStatus }).success).toBe(true);
    expect(
      wrapped.safeParse({ ok: false, error: { code: 'X', message: 'm.', nextStep: 'n.' } }).success,
    ).toBe(true);
    expect(wrapped.safeParse({ ok: false, error: { code: 'X' } }).success).toBe(false);
  });
});
