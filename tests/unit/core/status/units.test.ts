import { describe, expect, it } from 'vitest';
import {
  parseSystemctlShow,
  parseSystemdTimestamp,
  unitFindings,
  unitsCommand,
} from '../../../../src-main/core/status/checks/units';

/**
 * `TZ=UTC systemctl show -p Id,LoadState,ActiveState,SubState,StateChangeTimestamp <units…>` as systemd 252
 * prints it: properties in D-Bus vtable order, one blank line between units, empty values kept (-p names them).
 */
const SHOW = `Id=matrix-tuwunel.service
LoadState=loaded
ActiveState=active
SubState=running
StateChangeTimestamp=Thu 2026-05-21 16:37:49 UTC

Id=matrix-traefik.service
LoadState=loaded
ActiveState=failed
SubState=failed
StateChangeTimestamp=Fri 2026-05-22 08:01:02 UTC

Id=matrix-postgres.service
LoadState=loaded
ActiveState=inactive
SubState=dead
StateChangeTimestamp=Fri 2026-05-22 09:00:00 UTC

Id=matrix-livekit-server.service
LoadState=loaded
ActiveState=activating
SubState=auto-restart
StateChangeTimestamp=Fri 2026-05-22 09:10:11 UTC

Id=matrix-exim-relay.service
LoadState=loaded
ActiveState=activating
SubState=start
StateChangeTimestamp=Fri 2026-05-22 09:10:12 UTC

Id=matrix-client-element.service
LoadState=loaded
ActiveState=deactivating
SubState=stop-sigterm
StateChangeTimestamp=Fri 2026-05-22 09:10:13 UTC

Id=matrix-nope.service
LoadState=not-found
ActiveState=inactive
SubState=dead
StateChangeTimestamp=
`;

const UNITS = [
  'matrix-tuwunel',
  'matrix-traefik',
  'matrix-postgres',
  'matrix-livekit-server',
  'matrix-exim-relay',
  'matrix-client-element',
  'matrix-nope',
];

describe('systemctl show parsing', () => {
  it('reads every unit block and its timestamps', () => {
    const units = parseSystemctlShow(SHOW);
    expect(units).toHaveLength(7);
    expect(units[0]).toEqual({
      id: 'matrix-tuwunel.service',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      sinceMs: Date.UTC(2026, 4, 21, 16, 37, 49),
    });
    expect(units[6]).toEqual({
      id: 'matrix-nope.service',
      loadState: 'not-found',
      activeState: 'inactive',
      subState: 'dead',
    });
  });

  it('reads systemd timestamps in UTC and unix form, and refuses zones it cannot place', () => {
    expect(parseSystemdTimestamp('Thu 2026-05-21 16:37:49 UTC')).toBe(Date.UTC(2026, 4, 21, 16, 37, 49));
    expect(parseSystemdTimestamp('@1779381469')).toBe(1779381469000);
    expect(parseSystemdTimestamp('Thu 2026-05-21 18:37:49 CEST')).toBeUndefined();
    expect(parseSystemdTimestamp('')).toBeUndefined();
    expect(parseSystemdTimestamp('n/a')).toBeUndefined();
  });

  it('quotes every unit name into the command', () => {
    expect(unitsCommand(['matrix-tuwunel', "x'; rm -rf /"])).toBe(
      `systemctl show -p Id,LoadState,ActiveState,SubState,StateChangeTimestamp matrix-tuwunel 'x'\\''; rm -rf /'`,
    );
  });
});

describe('unit findings', () => {
  const findings = unitFindings(UNITS, SHOW);
  const by = (unit: string) => findings.find((f) => f.id === `unit:${unit}`)!;

  it('is ok for an active unit, with systemd’s since', () => {
    expect(by('matrix-tuwunel')).toMatchObject({
      level: 'ok',
      group: 'matrix-tuwunel',
      units: ['matrix-tuwunel'],
      sinceMs: Date.UTC(2026, 4, 21, 16, 37, 49),
      detail: 'matrix-tuwunel is active (running) since 2026-05-21 16:37 UTC.',
    });
  });

  it('fails failed and stopped units, saying since when and what to do', () => {
    expect(by('matrix-traefik')).toMatchObject({
      level: 'fail',
      sinceMs: Date.UTC(2026, 4, 22, 8, 1, 2),
      detail:
        'matrix-traefik has failed since 2026-05-22 08:01 UTC; read `journalctl -u matrix-traefik` for the cause, then start it again.',
    });
    expect(by('matrix-postgres').level).toBe('fail');
    expect(by('matrix-postgres').detail).toMatch(
      /^matrix-postgres is stopped since 2026-05-22 09:00 UTC; start it/,
    );
  });

  it('fails a crash loop, warns while starting or stopping', () => {
    expect(by('matrix-livekit-server')).toMatchObject({ level: 'fail' });
    expect(by('matrix-livekit-server').detail).toMatch(/keeps crashing/);
    expect(by('matrix-exim-relay')).toMatchObject({ level: 'warn' });
    expect(by('matrix-client-element')).toMatchObject({ level: 'warn' });
  });

  it('fails a unit the host does not have', () => {
    expect(by('matrix-nope').level).toBe('fail');
    expect(by('matrix-nope').detail).toMatch(/has no matrix-nope unit/);
  });

  it('is unknown for a unit systemctl said nothing about', () => {
    const f = unitFindings(['matrix-tuwunel', 'matrix-extra'], SHOW.split('\n\n')[0]!);
    expect(f[0]!.level).toBe('ok');
    expect(f[1]).toMatchObject({ id: 'unit:matrix-extra', level: 'unknown' });
  });

  it('matches by argument order when the Id is an alias', () => {
    const show =
      'Id=tuwunel-real.service\nLoadState=loaded\nActiveState=active\nSubState=running\nStateChangeTimestamp=\n';
    expect(unitFindings(['matrix-tuwunel'], show)[0]).toMatchObject({
      level: 'ok',
      id: 'unit:matrix-tuwunel',
    });
  });
});
