import { shellQuote } from '../../ssh/quote';
import { clip } from '../text';
import type { Finding } from '../types';

/** One unit as `systemctl show -p Id,LoadState,ActiveState,SubState,StateChangeTimestamp` prints it. */
export interface UnitState {
  id: string;
  loadState: string;
  activeState: string;
  subState: string;
  /** Epoch ms of StateChangeTimestamp when systemd printed one we can read. */
  sinceMs?: number;
}

const PROPERTIES = 'Id,LoadState,ActiveState,SubState,StateChangeTimestamp';

/** Run with TZ=UTC (the status script exports it): systemd names the zone only by abbreviation. */
export function unitsCommand(units: string[]): string {
  return `systemctl show -p ${PROPERTIES} ${units.map(shellQuote).join(' ')}`;
}

/** systemd's format_timestamp: `Thu 2026-05-21 16:37:49 UTC`; with --timestamp=unix `@1779381469`. */
export function parseSystemdTimestamp(value: string): number | undefined {
  const v = value.trim();
  const unix = /^@(\d{1,12})$/.exec(v);
  if (unix) return Number(unix[1]) * 1000;
  const m =
    /^(?:[A-Z][a-z]{2} )?(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (?:UTC|GMT|\+0000|Z)$/.exec(
      v,
    );
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Blocks of KEY=VALUE lines, one per unit, separated by blank lines (systemctl show with several units). */
export function parseSystemctlShow(text: string): UnitState[] {
  const units: UnitState[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const props = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) props.set(line.slice(0, eq).trim(), line.slice(eq + 1));
    }
    const id = props.get('Id');
    if (!id) continue;
    const since = parseSystemdTimestamp(props.get('StateChangeTimestamp') ?? '');
    units.push({
      id,
      loadState: props.get('LoadState') ?? '',
      activeState: props.get('ActiveState') ?? '',
      subState: props.get('SubState') ?? '',
      ...(since === undefined ? {} : { sinceMs: since }),
    });
  }
  return units;
}

function sameUnit(profileName: string, systemdId: string): boolean {
  return systemdId === profileName || systemdId === `${profileName}.service`;
}

function sinceText(ms: number | undefined): string {
  return ms === undefined ? '' : ` since ${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function unitFinding(unit: string, state: UnitState | undefined): Finding {
  const base = { id: `unit:${unit}`, group: unit, title: `${unit} unit`, units: [unit] };
  const journal = `\`journalctl -u ${unit}\``;
  if (!state) {
    return {
      ...base,
      level: 'unknown',
      detail: `systemctl printed nothing about ${unit}; run \`systemctl status ${unit}\` on the homeserver to see why.`,
    };
  }
  const since = state.sinceMs === undefined ? {} : { sinceMs: state.sinceMs };
  const when = sinceText(state.sinceMs);
  if (state.loadState === 'not-found') {
    return {
      ...base,
      level: 'fail',
      detail: `The homeserver has no ${unit} unit; run the playbook (install-all) or remove ${unit} from the profile's units.`,
    };
  }
  switch (state.activeState) {
    case 'active':
    case 'reloading':
      return {
        ...base,
        ...since,
        level: 'ok',
        detail: `${unit} is ${state.activeState} (${clip(state.subState, 60)})${when}.`,
      };
    case 'failed':
      return {
        ...base,
        ...since,
        level: 'fail',
        detail: `${unit} has failed${when}; read ${journal} for the cause, then start it again.`,
      };
    case 'inactive':
      return {
        ...base,
        ...since,
        level: 'fail',
        detail: `${unit} is stopped${when}; start it (Start stack in the tray, or \`systemctl start ${unit}\`).`,
      };
    case 'activating':
      if (state.subState === 'auto-restart') {
        return {
          ...base,
          ...since,
          level: 'fail',
          detail: `${unit} keeps crashing and systemd is restarting it${when}; read ${journal} for the cause.`,
        };
      }
      return {
        ...base,
        ...since,
        level: 'warn',
        detail: `${unit} is starting (${clip(state.subState, 60)})${when}; if it stays so, read ${journal}.`,
      };
    case 'deactivating':
      return {
        ...base,
        ...since,
        level: 'warn',
        detail: `${unit} is stopping (${clip(state.subState, 60)})${when}; if it hangs, read ${journal}.`,
      };
    default:
      return {
        ...base,
        level: 'unknown',
        detail: `${unit} is in an unexpected state "${clip(state.activeState, 60)}"; run \`systemctl status ${unit}\` on the homeserver.`,
      };
  }
}

export function unitFindings(units: string[], showOutput: string): Finding[] {
  const states = parseSystemctlShow(showOutput);
  return units.map((unit, i) => {
    const byId = states.find((s) => sameUnit(unit, s.id));
    // systemctl show answers in argument order; fall back to it when the Id differs (an alias).
    return unitFinding(unit, byId ?? (states.length === units.length ? states[i] : undefined));
  });
}
