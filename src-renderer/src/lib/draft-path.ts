import type { ProfileDraft } from '../../../src-main/ipc/contract';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getPath(draft: ProfileDraft, path: string): unknown {
  let cur: unknown = draft;
  for (const key of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * A copy of `draft` with `path` set; `undefined` removes the key, and an object left empty by that is removed
 * too, so clearing every optional field of a section (e.g. the vault) leaves no half section behind.
 */
export function setPath(draft: ProfileDraft, path: string, value: unknown): ProfileDraft {
  const [key, ...rest] = path.split('.');
  if (key === undefined) return draft;
  const copy: Obj = { ...draft };
  if (rest.length === 0) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }
  const child = setPath(isObj(copy[key]) ? (copy[key] as Obj) : {}, rest.join('.'), value);
  if (Object.keys(child).length === 0) delete copy[key];
  else copy[key] = child;
  return copy;
}
