// Electronegativity (Doyensec's Electron security scanner) over the app's sources: src-main, src-renderer
// and package.json. Exits 1 when a finding of MEDIUM severity or more is left that no inline
// `eng-disable CHECK_NAME` comment (with its reason) covers. tests/unit/security/electronegativity.test.ts
// runs it with --json; `node scripts/electronegativity.mjs` prints a table.
//
//   node scripts/electronegativity.mjs [--json] [--input DIR]
//
// --input scans DIR instead of the sources (the test proves on a bad fixture that findings fail the run).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const engDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
const SOURCES = ['src-main', 'src-renderer', 'package.json'];
const FAILING = 2; // severity.MEDIUM.value

const args = process.argv.slice(2);
const json = args.includes('--json');
const inputArg = args.includes('--input') ? args[args.indexOf('--input') + 1] : undefined;

// npm hoists the project's TypeScript 7 to node_modules/typescript, where Electronegativity's fallback TS
// parser (@typescript-eslint/typescript-estree 4, loaded at start-up) finds it and crashes on import:
// TypeScript 7 has no compiler API. Point it at the TypeScript 4.2 Electronegativity ships with. The
// sources are parsed by its first parser, @babel/parser, which reads current TypeScript syntax.
const ownTypescript = join(engDir, 'node_modules', 'typescript', 'lib', 'typescript.js');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'typescript' && /[\\/](typescript-estree|tsutils)[\\/]/.test(parent?.filename ?? ''))
    return ownTypescript;
  return resolveFilename.call(this, request, parent, ...rest);
};

// Offline by design: Electronegativity would fetch translation updates and Electron's release list from
// GitHub. Its en-US texts ship in the package; the release list feeds AVAILABLE_SECURITY_FIXES, which is
// not run (tests/unit/security/checklist.test.ts "16. a current Electron" checks the version offline).
const load = Module._load;
Module._load = function (request, parent, ...rest) {
  if (request === 'got' && parent?.filename.startsWith(engDir))
    return () => Promise.reject(new Error('network access is disabled for this scan'));
  return load.call(this, request, parent, ...rest);
};

const run = require(join(engDir, 'dist', 'runner.js'));
const { GlobalChecks } = require(join(engDir, 'dist', 'finder', 'index.js'));

// The runner drops inline-disabled findings before it returns; keep them to report what was justified.
let everyFinding = [];
const getResults = GlobalChecks.prototype.getResults;
GlobalChecks.prototype.getResults = async function (...a) {
  everyFinding = await getResults.apply(this, a);
  return everyFinding;
};

/** Electronegativity scans a whole folder (skipping only node_modules): give it exactly the sources. */
function sourcesCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'electronegativity-'));
  for (const s of SOURCES) cpSync(join(root, s), join(dir, s), { recursive: true });
  return dir;
}

const input = inputArg ? resolve(inputArg) : sourcesCopy();
// While it runs, what Electronegativity prints (winston warnings) goes to stderr: stdout carries only the
// report, which --json makes machine-read. The line about the refused translation download is dropped.
const stdoutWrite = process.stdout.write;
const consoleLog = console.log;
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);
console.log = (...a) => {
  if (!String(a[0]).startsWith('Could not retrieve updated translations')) console.error(...a);
};
let result;
try {
  result = await run({
    input,
    customScan: [],
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    parserPlugins: [],
  });
} finally {
  process.stdout.write = stdoutWrite;
  console.log = consoleLog;
  if (!inputArg) rmSync(input, { recursive: true, force: true });
}

const lineOf = (file, line) => {
  const path = join(inputArg ? input : root, file);
  return existsSync(path) && line > 0 ? (readFileSync(path, 'utf8').split('\n')[line - 1] ?? '').trim() : '';
};
const findings = everyFinding.map((i) => {
  const file = i.file === 'N/A' ? 'N/A' : relative(input, i.file);
  return {
    id: i.id,
    severity: i.severity.name,
    failing: i.severity.value >= FAILING,
    confidence: i.confidence.name,
    manualReview: Boolean(i.manualReview),
    // justified: an inline eng-disable comment covers it; settled: a global check of the tool cleared it
    // (e.g. the setPermissionRequestHandler call it reports for review, once it knows one is installed).
    status: i.visibility?.inlineDisabled
      ? 'justified'
      : i.visibility?.globalCheckDisabled
        ? 'settled'
        : 'open',
    file,
    line: i.location.line,
    column: i.location.column,
    source: file === 'N/A' ? '' : lineOf(file, i.location.line),
    description: i.description,
  };
});
const report = {
  input: inputArg ? input : SOURCES.join(', '),
  checks: { atomic: result.atomicChecks, global: result.globalChecks },
  parseErrors: result.errors.map((e) => ({ file: relative(input, e.file), message: e.message })),
  findings,
};
const open = findings.filter((f) => f.failing && f.status === 'open');

if (json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  console.log(
    `Electronegativity over ${report.input}: ${report.checks.atomic + report.checks.global} checks.`,
  );
  for (const f of findings)
    console.log(
      `${f.status === 'open' ? (f.failing ? 'FAILING' : 'info') : f.status} ${f.severity}/${f.confidence} ${f.id} ${f.file}:${f.line}`,
    );
  for (const e of report.parseErrors) console.log(`NOT SCANNED ${e.file}: ${e.message}`);
  console.log(
    open.length === 0 && report.parseErrors.length === 0
      ? 'No open finding of MEDIUM severity or more.'
      : `${open.length} open finding(s) of MEDIUM or more, ${report.parseErrors.length} file(s) not parsed: fix them, or add an inline "eng-disable CHECK_NAME" comment on the reported line with the reason.`,
  );
}
process.exit(open.length === 0 && report.parseErrors.length === 0 ? 0 : 1);
