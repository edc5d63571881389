import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE_PROFILE_YAML } from '../../../src-main/core/profile/example';
import { profileSchema } from '../../../src-main/core/profile/schema';
import { externalUrlAllowed } from '../../../src-main/desktop/model/external-links';
import { CSP_URL_PATTERNS, RENDERER_CSP } from '../../../src-main/desktop/model/window-security';
import { eventChannels, invokeChannels } from '../../../src-main/ipc/contract';
import { built, cspDirectives, electronAccess, sources } from './built-app';
import { oldestSupportedMajor } from './electron-releases';

/**
 * Electron's security checklist (docs/tutorial/security.md), the items that tests/unit/desktop does
 * not already assert on the window, session, IPC and CSP: each test is named after its item. The Electron
 * binary cannot run here, so they check the sources, the built bundles in out/ and the packaging config.
 */

const code = [...sources('src-main'), ...sources('src-renderer')];
const mainBundle = built('main/main.js');
const preloadBundle = built('preload/preload.cjs');
const shipped = [
  ...code,
  { file: 'out/main/main.js', text: mainBundle },
  { file: 'out/preload/preload.cjs', text: preloadBundle },
];
const where = (pattern: RegExp) => shipped.filter((s) => pattern.test(s.text)).map((s) => s.file);

interface BuilderConfig {
  extends?: string;
  directories: { output: string };
  electronFuses: Record<string, boolean>;
}
const builder = parseYaml(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const builderE2e = parseYaml(readFileSync('electron-builder.e2e.yml', 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('Electron security checklist', () => {
  it('1. Only load secure content: the page loads nothing from the network; links and the homeserver are https', () => {
    for (const file of ['src-renderer/index.html', 'out/renderer/index.html']) {
      const html = readFileSync(file, 'utf8');
      const urls = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
      expect(urls.length, file).toBeGreaterThan(0);
      for (const url of urls) expect(url, `${file}: ${url}`).not.toMatch(/^([a-z][a-z0-9+.-]*:|\/\/)/i);
    }
    for (const [name, values] of cspDirectives(RENDERER_CSP))
      for (const value of values)
        expect(
          value === "'self'" || value === "'none'" || (name === 'img-src' && value === 'data:'),
          `${name} ${value}`,
        ).toBe(true);

    expect(externalUrlAllowed('http://matrix.org/', null)).toBe(false);
    expect(externalUrlAllowed('https://matrix.org/', null)).toBe(true);

    const profile = parseYaml(EXAMPLE_PROFILE_YAML) as Record<string, unknown>;
    expect(profileSchema.safeParse(profile).success).toBe(true);
    for (const field of ['publicUrl', 'apexUrl']) {
      const r = profileSchema.safeParse({ ...profile, [field]: 'http://matrix.rampancy.cloud' });
      expect(r.success, field).toBe(false);
      expect(
        r.error?.issues.map((i) => i.path.join('.')),
        field,
      ).toContain(field);
    }
  });

  it('6. Do not disable webSecurity: no switch, certificate override or insecure-content flag anywhere', () => {
    expect(
      where(
        /webSecurity:\s*false|allowRunningInsecureContent:\s*true|disable-web-security|ignore-certificate-errors|setCertificateVerifyProc|["']certificate-error["']|rejectUnauthorized:\s*false|NODE_TLS_REJECT_UNAUTHORIZED/,
      ),
    ).toEqual([]);
  });

  it('9. and 10. No experimental features, no enableBlinkFeatures, and no Chromium switch that could add them', () => {
    expect(
      where(
        /experimentalFeatures:\s*true|\benableBlinkFeatures|experimental-web-platform-features|enable-blink-features|commandLine\.append(Switch|Argument)/,
      ),
    ).toEqual([]);
  });

  it('16. Use a current version of Electron: the installed major is one of the 3 supported lines', () => {
    const installed = (
      JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')) as { version: string }
    ).version;
    const major = (v: string) => Number(v.replace(/^[\^~>=\s]+/, '').split('.')[0]);
    expect(pkg.dependencies).not.toHaveProperty('electron');
    expect(major(installed), 'node_modules/electron is the devDependency').toBe(
      major(pkg.devDependencies.electron as string),
    );
    expect(
      major(installed),
      `Electron ${installed} is out of support: update the electron devDependency (and tests/unit/security/electron-releases.ts)`,
    ).toBeGreaterThanOrEqual(oldestSupportedMajor(new Date()));
  });

  it('18. file:// instead of a custom protocol: justified by the fuse, limited by the CSP, no other scheme registered', () => {
    // The renderer is read by file:// from inside app.asar, which needs this fuse (electron-builder.yml).
    expect(builder.electronFuses.grantFileProtocolExtraPrivileges).toBe(true);
    // Every file:// response gets the CSP header, and the CSP takes back what the fuse adds to file:// pages:
    // fetch of other file:// URLs, service workers, frames with universal file access.
    expect(CSP_URL_PATTERNS).toEqual(['file:///*']);
    const csp = cspDirectives(RENDERER_CSP);
    expect(csp.get('connect-src')).toEqual(["'none'"]);
    expect(csp.get('worker-src')).toEqual(["'none'"]);
    expect(csp.get('frame-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    // No custom or privileged scheme that could serve other files or bypass the CSP.
    expect(code.filter((s) => /\bprotocol\.(handle|register\w*|intercept\w*)\(/.test(s.text))).toEqual([]);
    expect(electronAccess(mainBundle).named).not.toContain('protocol');
  });

  it('19. Fuses: the release build turns off what the app does not use; the e2e build differs in one fuse only', () => {
    expect(builder.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: true,
    });
    // Everything else comes from the release file (electron-builder deep-merges `extends`).
    expect(Object.keys(builderE2e).sort()).toEqual(['directories', 'electronFuses', 'extends']);
    expect(builderE2e.extends).toBe('electron-builder.yml');
    expect(builderE2e.electronFuses).toEqual({ enableNodeCliInspectArguments: true });
    expect(builderE2e.directories.output).not.toBe(builder.directories.output);
  });

  it('20. Do not expose Electron APIs: the built preload gives the page window.api, functions only, and nothing else', async () => {
    const electron = fakeElectron();
    const required: string[] = [];
    runInNewContext(preloadBundle, {
      require: (id: string) => {
        required.push(id);
        if (id === 'electron') return electron.module;
        throw new Error(`the sandboxed preload cannot require ${id}`);
      },
      module: { exports: {} },
      exports: {},
    });
    expect(required).toEqual(['electron']);
    expect(electron.exposed.map(([key]) => key)).toEqual(['api']);
    const api = electron.exposed[0]?.[1] as Record<string, unknown>;

    // Walk everything the page can reach: plain objects of functions, none of them Electron's own objects.
    const eventMethods = Object.keys(eventChannels).length;
    const leaves: string[] = [];
    const walk = (value: unknown, path: string) => {
      expect(electron.objects, path).not.toContain(value);
      if (typeof value === 'function') return void leaves.push(path);
      // A plain object of the preload's realm: not a class instance that could carry Electron methods.
      expect(Object.prototype.toString.call(value), path).toBe('[object Object]');
      expect(Object.getPrototypeOf(Object.getPrototypeOf(value)), path).toBeNull();
      for (const [k, v] of Object.entries(value as object)) walk(v, `${path}.${k}`);
    };
    walk(api, 'api');
    expect(leaves).toHaveLength(Object.keys(invokeChannels).length + eventMethods);
    expect(leaves.some((l) => /ipcRenderer|\.send$|\.sendSync$|\.invoke$|\.on$/.test(l))).toBe(false);

    // A call reaches ipcRenderer.invoke on its own contract channel only.
    const app = api.app as Record<string, () => Promise<unknown>>;
    await app.info?.();
    expect(electron.invoked).toEqual([['app.info', {}]]);

    // A listener gets the payload and never the IPC event, whose `sender` would hand the page ipcRenderer.
    const got: unknown[] = [];
    const off = (api.onStatusChanged as (l: (p: unknown) => void) => () => void)((p) => got.push(p));
    const forward = electron.listeners.get('status.changed');
    forward?.({ sender: electron.module.ipcRenderer }, { overall: 'ok' });
    expect(got).toEqual([{ overall: 'ok' }]);
    off();
    expect(electron.listeners.has('status.changed')).toBe(false);
  });
});

describe('production builds', () => {
  it('devtools off: nothing opens them or a debugging port, and the packaged app passes devTools: false', () => {
    expect(where(/\.(openDevTools|toggleDevTools)\(|remote-debugging-port|["'`]--inspect/)).toEqual([]);
    // The built main computes the window's devTools from app.isPackaged (the source is tested in shell-sources).
    const flag = /\b(?:var|let|const)\s+([\w$]+)\s*=\s*!app\.isPackaged;/.exec(mainBundle)?.[1];
    expect(flag).toBeDefined();
    expect(mainBundle).toMatch(new RegExp(`devTools:\\s*${flag?.replace('$', '\\$')}\\b`));
    // The main process's own debugger (--inspect, SIGUSR1) is burnt out of the release binary.
    expect(builder.electronFuses.enableNodeCliInspectArguments).toBe(false);
  });

  it('no core dumps: the crash reporter is never reached, so Crashpad never starts and writes no minidump', () => {
    const main = electronAccess(mainBundle);
    expect(main.other, 'the main bundle reaches electron only through named imports').toEqual([]);
    expect(main.named).not.toContain('crashReporter');
    expect(preloadBundle).not.toMatch(/crashReporter/);
    expect(code.filter((s) => /crashReporter/.test(s.text)).map((s) => s.file)).toEqual([]);
  });
});

/** contextBridge and ipcRenderer that record what the preload does with them. */
function fakeElectron() {
  const exposed: [string, unknown][] = [];
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, (...a: unknown[]) => void>();
  const ipcRenderer = {
    invoke: async (channel: string, request: unknown) => {
      invoked.push([channel, request]);
      return { ok: true, value: { version: '0.1.0', platform: 'linux', firstRun: false } };
    },
    on: (channel: string, listener: (...a: unknown[]) => void) => void listeners.set(channel, listener),
    removeListener: (channel: string) => void listeners.delete(channel),
    send: () => undefined,
    sendSync: () => undefined,
  };
  const contextBridge = {
    exposeInMainWorld: (key: string, value: unknown) => void exposed.push([key, value]),
  };
  const module = { contextBridge, ipcRenderer };
  return { module, exposed, invoked, listeners, objects: [module, contextBridge, ipcRenderer] as unknown[] };
}
