import type { z } from 'zod';

/**
 * A shared file that holds a JSON array of entries, each with its own key (the maintenance windows, the sticky
 * alerts, the mutes): read into a map by key, written back whole as the array.
 */

/**
 * The entries a file's text holds, by key. An unreadable file, or an entry the schema refuses or `accept`
 * turns down, holds none: such a file must never make the app act on what it could not read.
 */
export function parseKeyedList<T>(
  text: string | null,
  schema: z.ZodType<T>,
  keyOf: (entry: T) => string,
  accept: (entry: T) => boolean = () => true,
): Map<string, T> {
  const entries = new Map<string, T>();
  if (text === null) return entries;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return entries;
  }
  if (!Array.isArray(raw)) return entries;
  for (const entry of raw) {
    const parsed = schema.safeParse(entry);
    if (parsed.success && accept(parsed.data)) entries.set(keyOf(parsed.data), parsed.data);
  }
  return entries;
}

/** The file's text for these entries. */
export function keyedListText<T>(entries: Map<string, T>): string {
  return `${JSON.stringify([...entries.values()], null, 2)}\n`;
}
