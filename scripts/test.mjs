// `npm test`: the full proof. The build, then side by side the typechecks, lint and every suite (unit,
// renderer, electron stand-in, integration against the lab, e2e in Chromium) with line coverage of
// src-main/core and src-main/ipc and every property sweep at its full count.
// `npm run test:fast` (`--fast`): the build, then side by side the typechecks, lint and the unit, renderer
// and electron (stand-in) suites, without coverage or the lab, the sweeps at a twentieth of their cases
// (HST_SWEEP=fast, tests/support/sweep.ts). The electron files that boot the app on the lab (*-lab.test.ts:
// main.ts, the bundle, sleep and wake, whose grace periods are real minutes) are left to `npm test`.
// Further arguments go to vitest. The checks print when the suites are done; it fails if anything failed.
import { spawn } from 'node:child_process';

const fast = process.argv[2] === '--fast';
const vitestArgs = process.argv.slice(fast ? 3 : 2);

// The security tests (unit) read the bundles in out/, the e2e suite loads the built renderer, the
// packaging test packs out/, the integration files start the command line (out/cli): they must be this
// code's. The two builds run side by side.
const builds = [
  ['build', 'npx', ['electron-vite', 'build']],
  ['build (command line)', process.execPath, ['scripts/build-cli.mjs']],
];

// Incremental: tsc keeps what it learnt in test-results/tsc and checks again only what changed since.
const typecheck = (name, project, info) => [
  `typecheck (${name})`,
  'npx',
  ['tsc', '-p', project, '--incremental', '--tsBuildInfoFile', `test-results/tsc/${info}.tsbuildinfo`],
];
const checks = [
  typecheck('main, tests', 'tsconfig.json', 'main'),
  typecheck('renderer', 'tsconfig.web.json', 'renderer'),
  typecheck('renderer tests', 'tests/renderer/tsconfig.json', 'renderer-tests'),
  ['lint', 'npx', ['biome', 'check', '.']],
];

const suites = fast
  ? [
      'suites (unit, renderer, electron stand-in; fast sweeps, no coverage, no lab)',
      'npx',
      [
        'vitest',
        'run',
        '--project',
        'unit',
        '--project',
        'renderer',
        '--project',
        'electron',
        '--exclude',
        'tests/electron/*-lab.test.ts',
        ...vitestArgs,
      ],
      { HST_SWEEP: 'fast' },
    ]
  : [
      'suites (all, with coverage)',
      'npx',
      ['vitest', 'run', '--coverage', ...vitestArgs],
      { HST_SWEEP: 'full' },
    ];

const started = performance.now();
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Runs a step with its output kept, to print it in one piece later. Resolves to its report. */
function captured([name, cmd, args]) {
  const since = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '1' },
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const ok = code === 0;
      const output = Buffer.concat(chunks).toString('utf8').trimEnd();
      const head = `${ok ? '✓' : '✗'} ${name} (${seconds(since)})`;
      resolve({ ok, text: ok ? head : `${head}\n${output}\n✗ ${name} failed (exit ${code ?? signal}).` });
    });
  });
}

/** The suites print as they go: their progress is the point of watching them. */
function streamed([name, cmd, args, env]) {
  const since = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', (error) => console.error(error.message));
    child.on('close', (code, signal) => {
      const ok = code === 0;
      resolve({
        ok,
        text: ok ? `✓ ${name} (${seconds(since)})` : `✗ ${name} failed (exit ${code ?? signal}).`,
      });
    });
  });
}

const built = await Promise.all(builds.map(captured));
console.log(built.map((b) => b.text).join('\n'));
if (!built.every((b) => b.ok)) process.exit(1);
console.log(`▶ ${[...checks.map(([name]) => name), suites[0]].join(', ')}: side by side\n`);
const reports = await Promise.all([...checks.map(captured), streamed(suites)]);
console.log(`\n${reports.map((r) => r.text).join('\n')}`);
const ok = reports.every((r) => r.ok);
console.log(`${ok ? '✓' : '✗'} ${fast ? 'npm run test:fast' : 'npm test'}: ${seconds(started)} in all`);
process.exit(ok ? 0 : 1);
