// `npm test`: typecheck, lint, then every suite (unit, integration, e2e) with coverage of
// src-main/core and src-main/ipc. Stops at the first step that fails.
import { spawnSync } from 'node:child_process';

const steps = [
  ['typecheck (main, tests)', 'npx', ['tsc', '-p', 'tsconfig.json']],
  ['typecheck (renderer)', 'npx', ['tsc', '-p', 'tsconfig.web.json']],
  ['typecheck (renderer tests)', 'npx', ['tsc', '-p', 'tests/renderer/tsconfig.json']],
  ['lint', 'npx', ['biome', 'check', '.']],
  ['build', 'npx', ['electron-vite', 'build']],
  ['suites', 'npx', ['vitest', 'run', '--coverage', ...process.argv.slice(2)]],
];

for (const [name, cmd, args] of steps) {
  console.log(`\n▶ ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`✗ ${name} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status || 1);
  }
}
