import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderCycles, importsOf, layerViolations, type SourceFile } from './architecture-rules';

/** The layers of docs/architecture.md (rules in architecture-rules.ts), on every file of both processes. */

const ROOT = join(import.meta.dirname, '../..');

// ─────────────────────────────── the repository ───────────────────────────────

function sources(dir: string): SourceFile[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => {
      const path = posix.join(dir, posix.relative(dir, join(e.parentPath, e.name).slice(ROOT.length + 1)));
      return { path, text: readFileSync(join(ROOT, path), 'utf8') };
    });
}

const repository = [...sources('src-main'), ...sources('src-renderer')];
const onDisk = (path: string) => statSync(join(ROOT, path), { throwIfNoEntry: false })?.isFile() === true;

describe('the layers of the repository', () => {
  it('reads the imports it checks (a checker that sees nothing passes anything)', () => {
    expect(repository.length).toBeGreaterThan(150);
    const imports = repository.flatMap((f) => importsOf(f, onDisk));
    expect(imports.length).toBeGreaterThan(800);
    expect(imports.filter((i) => i.target.startsWith('(unresolved)'))).toEqual([]);
    expect(imports.some((i) => i.target === 'electron')).toBe(true);
    expect(
      imports.some((i) => i.from.startsWith('src-renderer/') && i.target === 'src-main/core/vocab.ts'),
    ).toBe(true);
  });

  it('every file is in a layer and imports only what its layer may', () => {
    expect(layerViolations(repository, onDisk)).toEqual([]);
  });

  it('no two folders import each other, directly or around a circle', () => {
    expect(folderCycles(repository, onDisk)).toEqual([]);
  });
});

describe('the checker on planted imports', () => {
  const planted = (files: Record<string, string>) => {
    const set = Object.entries(files).map(([path, text]) => ({ path, text }));
    const exists = (p: string) => set.some((f) => f.path === p) || p === 'package.json';
    return { violations: layerViolations(set, exists), cycles: folderCycles(set, exists) };
  };

  it('names the file, the import and the rule of a wrong import', () => {
    const { violations } = planted({
      'src-main/core/status/service.ts': "import { createRouter } from '../../ipc/router';\n",
      'src-main/ipc/router.ts': "import type { Profile } from '../core/profile/schema';\n",
      'src-main/core/profile/schema.ts': 'export interface Profile {}\n',
    });
    expect(violations).toEqual([
      "src-main/core/status/service.ts: import '../../ipc/router' (src-main/ipc/router.ts): core imports only core",
      "src-main/ipc/router.ts: import '../core/profile/schema' (src-main/core/profile/schema.ts): ipc imports only ipc, app and the vocabulary and errors of the core",
    ]);
  });

  it('lets the renderer and the desktop model have the contract only as types, multi-line imports included', () => {
    const { violations } = planted({
      'src-renderer/src/a.ts': "import type { Check } from '../../src-main/ipc/contract';\n",
      'src-renderer/src/b.ts':
        "import {\n  type Level,\n  type Check,\n} from '../../src-main/ipc/contract';\nimport { LEVELS } from '../../src-main/core/vocab';\n",
      'src-renderer/src/c.ts':
        "import {\n  type Level,\n  statusSnapshot,\n} from '../../src-main/ipc/contract';\n",
      'src-main/desktop/model/tray.ts':
        "import { invokeChannels } from '../../ipc/contract';\nimport { errorInfo } from '../../app/views/error-view';\n",
      'src-main/ipc/contract.ts': '',
      'src-main/core/vocab.ts': '',
      'src-main/app/views/error-view.ts': '',
    });
    expect(violations).toEqual([
      "src-renderer/src/c.ts: import '../../src-main/ipc/contract' (src-main/ipc/contract.ts): the renderer imports only itself, contract types (import type) and the vocabulary; ipc/contract only with import type",
      "src-main/desktop/model/tray.ts: import '../../ipc/contract' (src-main/ipc/contract.ts): desktop/model imports only desktop/model, app views, contract types and the vocabulary; ipc/contract only with import type",
    ]);
  });

  it("keeps 'electron' in the Electron adapters and the entry points, and the vocabulary free of imports", () => {
    const { violations } = planted({
      'src-main/desktop/model/menu.ts': "import { Menu } from 'electron';\n",
      'src-main/desktop/electron/tray.ts': "import { Tray } from 'electron';\n",
      'src-main/desktop/preload.ts': "import { contextBridge } from 'electron';\n",
      'src-main/app/session.ts': "const m = await import('electron');\n",
      'src-main/core/vocab.ts': "import { z } from 'zod';\n",
      'src-main/stray.ts': '',
    });
    expect(violations).toEqual([
      "src-main/desktop/model/menu.ts: import 'electron' (electron): only desktop/electron/, desktop/main.ts and desktop/preload.ts import 'electron'",
      "src-main/app/session.ts: import 'electron' (electron): only desktop/electron/, desktop/main.ts and desktop/preload.ts import 'electron'",
      "src-main/core/vocab.ts: import 'zod' (zod): core/vocab.ts imports nothing",
      'src-main/stray.ts: is in no layer (see docs/architecture.md for where files go)',
    ]);
  });

  it('finds folders importing each other around a circle, and says through which imports', () => {
    const { violations, cycles } = planted({
      'src-main/core/runbook/catalog.ts': "import { rotate } from '../vault/token-actions';\n",
      'src-main/core/vault/token-actions.ts': "import { sleep } from '../matrix/http';\n",
      'src-main/core/matrix/http.ts': "export { step } from '../runbook/catalog';\n",
      'src-main/core/status/service.ts': "import { step } from '../runbook/catalog';\n",
    });
    expect(violations).toEqual([]);
    expect(cycles).toEqual([
      "src-main/core/matrix ⇄ src-main/core/runbook ⇄ src-main/core/vault: src-main/core/matrix/http.ts imports '../runbook/catalog'; src-main/core/runbook/catalog.ts imports '../vault/token-actions'; src-main/core/vault/token-actions.ts imports '../matrix/http'",
    ]);
  });
});
