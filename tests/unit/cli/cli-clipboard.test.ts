import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliClipboard, detectCliClipboardTool, findOnPath } from '../../../src-main/cli/cli-clipboard';
import { NoClipboardTool } from '../../../src-main/core/token/errors';

/** Which tool the CLI picks is decided by PATH and the session's variables; the tools are never run here. */
let bin: string;

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'cli-clipboard-'));
  for (const name of ['wl-copy', 'wl-paste', 'xclip', 'pbcopy', 'clip.exe']) {
    await writeFile(join(bin, name), '#!/bin/sh\nexit 1\n');
    await chmod(join(bin, name), 0o755);
  }
  await writeFile(join(bin, 'not-executable'), '');
});

afterAll(async () => {
  await rm(bin, { recursive: true, force: true });
});

describe('the command line clipboard', () => {
  it('prefers Wayland, then X11, then pbcopy on macOS, then clip.exe (Windows, WSL)', () => {
    const path = { PATH: `/nonexistent:${bin}` };
    expect(detectCliClipboardTool({ env: { ...path, WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' } })).toBe(
      'wl-copy',
    );
    expect(detectCliClipboardTool({ env: { ...path, DISPLAY: ':0' } })).toBe('xclip');
    expect(detectCliClipboardTool({ env: path, platform: 'darwin' })).toBe('pbcopy');
    expect(detectCliClipboardTool({ env: path, platform: 'linux' })).toBe('clip.exe');
  });

  it('finds nothing without the tools, or without a session for the X11/Wayland ones', () => {
    expect(
      detectCliClipboardTool({ env: { PATH: '/nonexistent', DISPLAY: ':0', WAYLAND_DISPLAY: 'w' } }),
    ).toBeNull();
    expect(findOnPath('not-executable', { PATH: bin })).toBeNull();
    expect(findOnPath('xclip', { PATH: bin })).toBe(join(bin, 'xclip'));
  });

  it('refuses with a sentence that says what to install, per platform', async () => {
    const none = { PATH: '/nonexistent' };
    for (const [platform, install] of [
      ['linux', 'Install wl-clipboard (Wayland) or xclip (X11)'],
      ['darwin', 'pbcopy'],
      ['win32', 'clip.exe'],
    ] as const) {
      const error = await createCliClipboard({ env: none, platform }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoClipboardTool);
      expect((error as NoClipboardTool).message).toBe(
        'No clipboard is reachable from this terminal (looked for wl-copy, xclip, pbcopy, clip.exe), and the token is never printed.',
      );
      expect((error as NoClipboardTool).nextStep).toContain(install);
    }
  });
});
