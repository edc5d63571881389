import { shellQuote } from '../../ssh/quote';
import { clip } from '../text';
import type { Finding } from '../types';
import { sameVersion } from '../version';

/** The fields of `docker ps --format '{{json .}}'` (docker CLI 28) this check reads. */
export interface ContainerRow {
  names: string[];
  image: string;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
  /** Human text from the daemon: `Up 3 hours (healthy)`, `Exited (137) 5 minutes ago`, … */
  status: string;
}

export function containersCommand(namePrefix = 'matrix-'): string {
  return `docker ps -a --filter ${shellQuote(`name=${namePrefix}`)} --format '{{json .}}'`;
}

export function parseDockerPs(text: string): ContainerRow[] {
  const rows: ContainerRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof row !== 'object' || row === null) continue;
    const r = row as Record<string, unknown>;
    const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
    rows.push({
      names: str('Names')
        .split(',')
        .map((n) => n.trim().replace(/^\//, ''))
        .filter(Boolean),
      image: str('Image'),
      state: str('State').toLowerCase(),
      status: str('Status'),
    });
  }
  return rows;
}

export type DockerStatus =
  | { kind: 'up'; uptime: string; health?: 'healthy' | 'unhealthy' | 'starting'; paused: boolean }
  | { kind: 'restarting' | 'exited'; exitCode: number; ago: string }
  | { kind: 'created' | 'dead' | 'removing' | 'other' };

/** moby's State.String(): the only place the exit code and health reach `docker ps`. */
export function parseDockerStatus(status: string): DockerStatus {
  const s = status.trim();
  const up = /^Up (.+?)(?: \((healthy|unhealthy|health: starting|Paused)\))?$/.exec(s);
  if (up) {
    const tag = up[2];
    const health =
      tag === 'healthy' || tag === 'unhealthy' ? tag : tag === 'health: starting' ? 'starting' : undefined;
    return { kind: 'up', uptime: up[1] ?? '', paused: tag === 'Paused', ...(health ? { health } : {}) };
  }
  const ended = /^(Exited|Restarting) \((-?\d+)\) (.+) ago$/.exec(s);
  if (ended) {
    return {
      kind: ended[1] === 'Exited' ? 'exited' : 'restarting',
      exitCode: Number(ended[2]),
      ago: ended[3] ?? '',
    };
  }
  if (s === 'Created') return { kind: 'created' };
  if (s === 'Dead') return { kind: 'dead' };
  if (s === 'Removal In Progress') return { kind: 'removing' };
  return { kind: 'other' };
}

function exitMeaning(code: number): string {
  if (code === 137) return ' (killed: out of memory or docker kill)';
  if (code === 143) return ' (stopped by SIGTERM)';
  if (code === 0) return ' (a clean stop)';
  return '';
}

export function containerFinding(unit: string, row: ContainerRow | undefined): Finding {
  const base = { id: `container:${unit}`, group: unit, title: `${unit} container`, units: [unit] };
  const logs = `\`docker logs ${unit}\``;
  if (!row) {
    return {
      ...base,
      level: 'fail',
      detail: `There is no ${unit} container (the playbook's unit removes it when it stops); start ${unit} and check its unit.`,
    };
  }
  const st = parseDockerStatus(row.status);
  const status = clip(row.status);
  if (st.kind === 'up') {
    if (st.paused || row.state === 'paused') {
      return {
        ...base,
        level: 'warn',
        detail: `${unit} is paused (${status}); resume it with \`docker unpause ${unit}\`.`,
      };
    }
    if (st.health === 'unhealthy') {
      return {
        ...base,
        level: 'fail',
        detail: `${unit} runs but its health check fails (${status}); read ${logs}.`,
      };
    }
    if (st.health === 'starting') {
      return {
        ...base,
        level: 'warn',
        detail: `${unit} is up but still starting (${status}); if it stays so, read ${logs}.`,
      };
    }
    return {
      ...base,
      level: 'ok',
      detail: `${unit} is ${status.charAt(0).toLowerCase()}${status.slice(1)}.`,
    };
  }
  if (st.kind === 'restarting') {
    return {
      ...base,
      level: 'fail',
      detail: `${unit} is restarting in a loop (last exit code ${st.exitCode}${exitMeaning(st.exitCode)}, ${clip(st.ago, 60)} ago); read ${logs}.`,
    };
  }
  if (st.kind === 'exited') {
    return {
      ...base,
      level: 'fail',
      detail: `${unit} exited with code ${st.exitCode}${exitMeaning(st.exitCode)} ${clip(st.ago, 60)} ago; read ${logs}, then start ${unit}.`,
    };
  }
  const what =
    st.kind === 'created'
      ? 'was created but never started'
      : st.kind === 'dead'
        ? 'is dead (docker could not stop or remove it)'
        : st.kind === 'removing'
          ? 'is being removed'
          : `is in state "${clip(row.state || row.status, 60)}"`;
  return {
    ...base,
    level: st.kind === 'removing' ? 'warn' : 'fail',
    detail: `${unit} ${what}; restart ${unit} and read ${logs} if it does not come up.`,
  };
}

export function containerFindings(units: string[], psOutput: string): Finding[] {
  const rows = parseDockerPs(psOutput);
  return units.map((unit) =>
    containerFinding(
      unit,
      rows.find((r) => r.names.includes(unit)),
    ),
  );
}

/** `ghcr.io/matrix-construct/tuwunel:v1.7.0` → repository and tag; a digest reference has no tag. */
export function splitImageRef(ref: string): { repository: string; tag?: string } {
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name };
}

/** The image the Tuwunel container runs, against the profile's image and pin (homeserver.image / .version). */
export function imageFinding(
  psOutput: string,
  pin: { image: string; version: string },
  container = 'matrix-tuwunel',
): Finding {
  const base = { id: 'image:tuwunel', group: container, title: 'Tuwunel image', units: [container] };
  const row = parseDockerPs(psOutput).find((r) => r.names.includes(container));
  if (!row) {
    return {
      ...base,
      level: 'unknown',
      detail: `No ${container} container exists, so its image cannot be read; start ${container} first.`,
    };
  }
  const { repository, tag } = splitImageRef(row.image);
  if (!tag) {
    return {
      ...base,
      level: 'unknown',
      detail: `${container} runs ${clip(row.image)}, which names no tag; pin matrix_tuwunel_version in vars.yml and apply the config.`,
    };
  }
  if (repository !== pin.image) {
    return {
      ...base,
      level: 'warn',
      detail: `${container} runs ${clip(row.image)}, not the profile's image ${pin.image}; correct homeserver.image in the profile or the playbook's image.`,
    };
  }
  if (!sameVersion(tag, pin.version)) {
    return {
      ...base,
      level: 'warn',
      detail: `${container} runs ${clip(tag, 60)} but the profile pins ${pin.version}; update the pin in the profile (homeserver.version) if the upgrade was meant, or apply the config to go back.`,
    };
  }
  return { ...base, level: 'ok', detail: `${container} runs ${row.image}, the pinned version.` };
}
