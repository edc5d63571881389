import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ClearedEvent,
  ClipboardGuard,
  clearDelayMs,
  fingerprint,
  matches,
} from '../../../../src-main/core/token/clipboard';
import { concealedFormats, electronRawFormat } from '../../../../src-main/core/token/concealed-formats';
import { setupClipboard } from '../../../../src-main/desktop/electron/clipboard';
import { RecordingClipboard } from './recording-clipboard';

const SECRET = 'f00d'.repeat(16);

/** Every string reachable from `root` through own properties (Maps and Sets included). */
function reachableStrings(root: unknown, seen = new Set<unknown>()): string[] {
  if (typeof root === 'string') return [root];
  if (root === null || typeof root !== 'object' || seen.has(root)) return [];
  seen.add(root);
  const values =
    root instanceof Map
      ? [...root.keys(), ...root.values()]
      : root instanceof Set
        ? [...root]
        : Object.values(root);
  const out: string[] = [];
  for (const v of values) out.push(...reachableStrings(v, seen));
  if (Buffer.isBuffer(root)) out.push(root.toString('latin1'));
  return out;
}

describe('ClipboardGuard', () => {
  let clipboard: RecordingClipboard;
  let guard: ClipboardGuard;
  let events: ClearedEvent[];

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-26T12:00:00Z'));
    clipboard = new RecordingClipboard();
    guard = new ClipboardGuard(clipboard);
    events = [];
    guard.onCleared((e) => events.push(e));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes concealed, answers the clear time, and clears after the delay while unchanged', async () => {
    const result = await guard.copy(SECRET, 'registration-token', 30_000);
    expect(result).toEqual({ clearsAt: Date.parse('2026-11-26T12:00:30Z'), concealed: true });
    expect(clipboard.writes).toEqual([{ text: SECRET, concealed: true }]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(clipboard.content).toBe(SECRET);
    await vi.advanceTimersByTimeAsync(1);
    expect(clipboard.content).toBe('');
    expect(events).toEqual([{ what: 'registration-token', cleared: true }]);
  });

  it('leaves whatever the user copied since alone', async () => {
    await guard.copy(SECRET, 'invite-token', 10_000);
    clipboard.userCopies('a shopping list');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(clipboard.content).toBe('a shopping list');
    expect(clipboard.clears).toBe(0);
    expect(events).toEqual([{ what: 'invite-token', cleared: false }]);
  });

  it('never clears when the delay is "never", but clearNow (quit) still does', async () => {
    expect(await guard.copy(SECRET, 'registration-token', null)).toEqual({ clearsAt: null, concealed: true });
    await vi.advanceTimersByTimeAsync(3600_000);
    expect(clipboard.content).toBe(SECRET);
    expect(await guard.clearNow()).toBe(true);
    expect(clipboard.content).toBe('');
    expect(await guard.clearNow()).toBe(false);
  });

  it('clears on quit before the delay, once; a later copy replaces the pending one', async () => {
    await guard.copy('first-secret-value', 'invite-token', 60_000);
    await guard.copy(SECRET, 'registration-token', 60_000);
    expect(await guard.clearNow()).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toEqual([{ what: 'registration-token', cleared: true }]);
    expect(clipboard.clears).toBe(1);
  });

  it('keeps a keyed hash, not the secret', async () => {
    await guard.copy(SECRET, 'registration-token', 30_000);
    // The clipboard itself holds it, of course; the guard must not.
    const strings = reachableStrings(guard, new Set([clipboard]));
    expect(strings.length).toBeGreaterThan(0);
    expect(strings.some((s) => s.includes(SECRET))).toBe(false);
    expect(reachableStrings(guard).some((s) => s.includes(SECRET))).toBe(true);
    expect(guard.outstanding?.print.digest).toHaveLength(32);
  });

  it('reports a failed read as not cleared, without throwing', async () => {
    await guard.copy(SECRET, 'registration-token', 10_000);
    clipboard.readText = () => Promise.reject(new Error('no display'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual([{ what: 'registration-token', cleared: false }]);
  });
});

describe('clearDelayMs and fingerprints', () => {
  it('keeps the setting within 10 s … 5 min, null meaning never', () => {
    expect(clearDelayMs(30)).toBe(30_000);
    expect(clearDelayMs(1)).toBe(10_000);
    expect(clearDelayMs(3600)).toBe(300_000);
    expect(clearDelayMs(null)).toBeNull();
  });

  it('recognises exactly the secret', () => {
    const print = fingerprint(SECRET);
    expect(matches(print, SECRET)).toBe(true);
    expect(matches(print, `${SECRET} `)).toBe(false);
    expect(matches(fingerprint(SECRET), SECRET)).toBe(true);
    expect(fingerprint(SECRET).digest.equals(print.digest)).toBe(false);
  });
});

describe('concealed formats and the Electron adapter', () => {
  it('names the platforms’ formats', () => {
    expect(concealedFormats('darwin').map((f) => f.name)).toEqual(['org.nspasteboard.ConcealedType']);
    expect(concealedFormats('win32')).toEqual([
      { name: 'ExcludeClipboardContentFromMonitorProcessing', data: Buffer.alloc(1) },
      { name: 'CanIncludeInClipboardHistory', data: Buffer.from([0, 0, 0, 0]) },
      { name: 'CanUploadToCloudClipboard', data: Buffer.from([0, 0, 0, 0]) },
    ]);
    expect(concealedFormats('linux')).toEqual([
      { name: 'x-kde-passwordManagerHint', data: Buffer.from('secret') },
    ]);
    expect(concealedFormats('aix')).toEqual([]);
  });

  it('writes the text and the concealed formats in one ClipboardItem (one atomic write)', async () => {
    const written: Record<string, unknown>[][] = [];
    class FakeItem {
      constructor(readonly items: Record<string, unknown>) {}
    }
    const electron = {
      ClipboardItem: FakeItem,
      clipboard: {
        write: async (items: FakeItem[]) => {
          written.push(items.map((i) => i.items));
        },
        readText: async () => 'read back',
        clear: () => {},
      },
    };
    const clipboard = setupClipboard(electron as never, 'win32');
    expect(clipboard.concealable).toBe(true);
    await clipboard.writeText(SECRET, { concealed: true });
    await clipboard.writeText('plain text', { concealed: false });
    expect(written).toHaveLength(2);
    const [concealed] = written[0] ?? [];
    expect(Object.keys(concealed ?? {})).toEqual([
      'text/plain',
      electronRawFormat('ExcludeClipboardContentFromMonitorProcessing'),
      electronRawFormat('CanIncludeInClipboardHistory'),
      electronRawFormat('CanUploadToCloudClipboard'),
    ]);
    expect(concealed?.['text/plain']).toBe(SECRET);
    const history = concealed?.[electronRawFormat('CanIncludeInClipboardHistory')] as Blob;
    expect(Buffer.from(await history.arrayBuffer())).toEqual(Buffer.alloc(4));
    expect(written[1]).toEqual([{ 'text/plain': 'plain text' }]);
    expect(await clipboard.readText()).toBe('read back');
    expect(electronRawFormat('org.nspasteboard.ConcealedType')).toBe(
      'electron application/osclipboard;format="org.nspasteboard.ConcealedType"',
    );
  });
});
