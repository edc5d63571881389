// `npm run bench`: every benchmark in tests/bench/*.bench.ts, one JSON line per measure on stdout.
// Each module's default export is an async function returning its measures, ours beside the baseline,
// measured in the same run.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type Measure = { name: string } & Record<string, number | string | boolean>;
export type Bench = () => Promise<Measure[]>;

const only = process.argv.slice(2);
const dir = import.meta.dirname;
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
let failed = false;
for (const file of files) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  const bench = (await import(join(dir, file))).default as Bench;
  try {
    for (const measure of await bench()) console.log(JSON.stringify(measure));
  } catch (e) {
    failed = true;
    console.error(`${file}: ${(e as Error).message}`);
  }
}
process.exitCode = failed ? 1 : 0;
