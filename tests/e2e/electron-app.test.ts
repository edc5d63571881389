import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { describe, expect, it } from 'vitest';

/**
 * The real app in the real Electron, driven by Playwright's `_electron`: where the Electron binary exists.
 * Electron 45's npm package installs no binary: it is fetched on first use (`npx install-electron`, or
 * `require('electron')`), which the build machines cannot do (TOOLCHAIN.md), so there this test prints one
 * skip line with the reason. It looks where electron's index.js looks, without calling it (that would
 * start the download).
 */
function electronBinary(): { path: string } | { path: null; reason: string } {
  const dir = join('node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? join(override, name || 'electron') : name ? join(dir, 'dist', name) : null;
  if (binary && existsSync(binary)) return { path: binary };
  return {
    path: null,
    reason: `no Electron binary at ${binary ?? join(dir, 'dist')}: Electron 45 downloads it on first use, not at npm install, and it has not been downloaded here; \`npx install-electron\` (from github.com or ELECTRON_MIRROR) gets it`,
  };
}

/** The preload bundle's require() calls. */
function requiresOf(bundle: string): string[] {
  return [...bundle.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1] as string);
}

/** An X server for Electron where there is no display (CI): Xvfb picks a free display and tells us which. */
async function startXvfb(): Promise<{ display: string; stop: () => Promise<void> }> {
  const xvfb: ChildProcess = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  );
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    xvfb.stdio[3]?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    xvfb.once('error', reject);
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code} before it was ready`)));
  });
  return {
    display,
    stop: () =>
      new Promise((resolve) => {
        if (xvfb.exitCode !== null) return resolve();
        xvfb.once('exit', () => resolve());
        xvfb.kill('SIGTERM');
      }),
  };
}

const electron = electronBinary();

describe('the Electron app', () => {
  it('the sandboxed preload bundle requires nothing but electron (the channel names are bundled in)', () => {
    const file = join('out', 'preload', 'preload.cjs');
    expect(existsSync(file), `${file} is missing: run \`npx electron-vite build\` first`).toBe(true);
    const bundle = readFileSync(file, 'utf8');
    expect(
      requiresOf(bundle),
      'a sandboxed preload can require only "electron": build the preload with build.externalizeDeps: false (electron.vite.config.ts)',
    ).toEqual(['electron']);
    expect(/exposeInMainWorld\(\s*["'`]api["'`]/.test(bundle), 'the preload exposes window.api').toBe(true);
    // Only the channel names: validation is the router's, so zod stays out of every window's first script.
    expect(bundle, 'the preload bundles zod (import channels.ts, not contract.ts)').not.toMatch(
      /ZodError|\$ZodType/,
    );
    expect(bundle.length).toBeLessThan(8_000);
  });

  it('launches the real app: the window shows, window.api works, require is absent, the tray exists', async (ctx) => {
    if (electron.path === null) {
      // The default reporter lists no skipped test by name: say it in one line of our own.
      process.stdout.write(`electron-app.test.ts: skipped: ${electron.reason}\n`);
      return ctx.skip(electron.reason);
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'hst-electron-'));
    const needsDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
    const xvfb = needsDisplay ? await startXvfb() : null;
    let app: ElectronApplication | null = null;
    try {
      app = await _electron.launch({
        executablePath: electron.path,
        // Chromium refuses to run as root with its sandbox; the renderer stays context-isolated regardless.
        args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '.'],
        cwd: process.cwd(),
        env: {
          ...process.env,
          HOMESERVER_TRAY_DATA_DIR: dataDir,
          ...(xvfb ? { DISPLAY: xvfb.display } : {}),
        },
        timeout: 60_000,
      });
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');

      await expect
        .poll(() =>
          app?.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible())),
        )
        .toEqual([true]);

      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined',
      );
      expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe(
        'undefined',
      );
      const api = await page.evaluate(() => {
        const a = (globalThis as { api?: Record<string, unknown> }).api;
        return a ? { keys: Object.keys(a) } : null;
      });
      expect(api?.keys).toContain('status');
      expect(api?.keys).not.toContain('ipcRenderer');
      const info = await page.evaluate(() =>
        (globalThis as unknown as { api: { app: { info(): Promise<unknown> } } }).api.app.info(),
      );
      expect(info).toMatchObject({ ok: true, value: { firstRun: true } });

      const shell = await app.evaluate(() => {
        const s = (globalThis as Record<symbol, { tray?: unknown; window?: unknown } | undefined>)[
          Symbol.for('homeserver-tray.shell')
        ];
        return { tray: s?.tray !== undefined, window: s?.window !== undefined };
      });
      expect(shell).toEqual({ tray: true, window: true });
    } finally {
      await app?.close();
      await xvfb?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
