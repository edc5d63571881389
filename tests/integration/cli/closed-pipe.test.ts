import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand } from '../token/cli-process';

/**
 * `homeserver-tray … | head -3`: the reader goes away before the command has printed everything. The
 * command ends as it would have (an action's clean-up must never be cut short by a closed pipe), prints
 * nothing more, and no EPIPE stack lands in the user's terminal.
 */
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hst-pipe-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function runWithReaderGone(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const [node, ...argv] = cliCommand(...args);
  const child = spawn(node, argv, {
    env: { ...process.env, HOMESERVER_TRAY_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader is gone before the command writes its first byte (Node takes far longer to start).
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a closed stdout', () => {
  it('--help into a pipe whose reader left: exit 0, and no EPIPE in the terminal', async () => {
    const r = await runWithReaderGone('--help');
    expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(r.code).toBe(0);
  });

  it('a refusal still exits with its own code, its sentence on stderr', async () => {
    const r = await runWithReaderGone('status', '--profile', join(dataDir, 'none.yaml'));
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().length).toBeGreaterThan(0);
  });
});
