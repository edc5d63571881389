/**
 * The lab profile as YAML, block style, every string double-quoted (JSON's string escapes are YAML's).
 * Written here rather than with the `yaml` package: loading that package (and zod, which the lab also
 * avoids) costs more CPU than the rest of `npm run lab` before LAB READY. Plain data only: maps with
 * identifier keys, arrays, strings, numbers and booleans; undefined entries are left out.
 */
export function profileYaml(value: Record<string, unknown>): string {
  return `${mapLines(value, '').join('\n')}\n`;
}

function scalar(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapLines(map: Record<string, unknown>, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new Error(`Profile key "${key}" is not a plain identifier.`);
    lines.push(...entryLines(`${indent}${key}:`, value, indent));
  }
  return lines;
}

function entryLines(head: string, value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${head} []`];
    return [head, ...value.flatMap((item) => entryLines(`${indent}  -`, item, `${indent}    `))];
  }
  if (isMap(value)) {
    const inner = mapLines(value, `${indent}  `);
    return inner.length === 0 ? [`${head} {}`] : [head, ...inner];
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return [`${head} ${scalar(value)}`];
  throw new Error(`Profile value of type ${typeof value} cannot be written as YAML.`);
}
