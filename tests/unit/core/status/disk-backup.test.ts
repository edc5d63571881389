import { describe, expect, it } from 'vitest';
import { backupFinding, parseBackupTime } from '../../../../src-main/core/status/checks/backup';
import { diskCommand, diskFinding, parseDfP } from '../../../../src-main/core/status/checks/disk';

/** GNU coreutils 9.1 `df -P -- <dir>` under LC_ALL=C. */
function dfP(percent: number, fs = '/dev/sda1', mount = '/'): string {
  const size = 30787492;
  const used = Math.round((size * percent) / 100);
  return `Filesystem     1024-blocks     Used Available Capacity Mounted on\n${fs}         ${size} ${used}  ${size - used}      ${percent}% ${mount}\n`;
}

const limits = { warnPercent: 85, failPercent: 95 };

describe('df -P', () => {
  it('reads the POSIX line, even with spaces in the device or mount point', () => {
    expect(parseDfP(dfP(43))).toMatchObject({ filesystem: '/dev/sda1', percent: 43, mountedOn: '/' });
    expect(parseDfP(dfP(43, '//nas/share name', '/mnt/my data'))).toMatchObject({
      filesystem: '//nas/share name',
      mountedOn: '/mnt/my data',
    });
    expect(parseDfP('Filesystem     1024-blocks     Used Available Capacity Mounted on\n')).toBeUndefined();
  });

  it('keeps the used and free bytes for the disk forecast, whatever the level', () => {
    const used = Math.round((30787492 * 96) / 100);
    expect(diskFinding('/matrix/tuwunel/data', dfP(96), limits).metrics).toEqual({
      diskUsedBytes: used * 1024,
      diskAvailableBytes: (30787492 - used) * 1024,
    });
    expect(diskFinding('/matrix/tuwunel/data', 'no df line', limits).metrics).toBeUndefined();
  });

  it('grades at the profile limits, inclusive', () => {
    expect(diskFinding('/matrix/tuwunel/data', dfP(84), limits).level).toBe('ok');
    expect(diskFinding('/matrix/tuwunel/data', dfP(85), limits).level).toBe('warn');
    expect(diskFinding('/matrix/tuwunel/data', dfP(94), limits).level).toBe('warn');
    expect(diskFinding('/matrix/tuwunel/data', dfP(95), limits).level).toBe('fail');
    expect(diskFinding('/matrix/tuwunel/data', dfP(100), limits).level).toBe('fail');
  });

  it('says where, how full and how much is free', () => {
    expect(diskFinding('/matrix/tuwunel/data', dfP(43), limits).detail).toBe(
      '/matrix/tuwunel/data (/) is 43 % full with 17 GiB free.',
    );
    expect(diskFinding('/matrix/tuwunel/data', dfP(96), limits).detail).toMatch(
      /is 96 % full .*; free space now/,
    );
    expect(diskFinding('/x', 'garbage', limits).level).toBe('unknown');
  });

  it('quotes the data dir and ends options before it', () => {
    expect(diskCommand('/matrix/tuwunel/data')).toBe('df -P -- /matrix/tuwunel/data');
    expect(diskCommand('/data dir')).toBe("df -P -- '/data dir'");
  });
});

describe('backup probe', () => {
  const now = Date.UTC(2026, 4, 22, 12, 0, 0);

  it('reads epoch seconds, epoch ms and ISO 8601', () => {
    expect(parseBackupTime('1779451200')).toBe(1779451200000);
    expect(parseBackupTime('1779451200.5')).toBe(1779451200500);
    expect(parseBackupTime('1779451200000')).toBe(1779451200000);
    expect(parseBackupTime('2026-05-21T16:37:49Z')).toBe(Date.UTC(2026, 4, 21, 16, 37, 49));
    expect(parseBackupTime('2026-05-21 18:37:49+02:00')).toBe(Date.UTC(2026, 4, 21, 16, 37, 49));
    expect(parseBackupTime('2026-05-21T18:37:49+0200')).toBe(Date.UTC(2026, 4, 21, 16, 37, 49));
    expect(parseBackupTime('yesterday')).toBeUndefined();
    expect(parseBackupTime('2026-05-21')).toBeUndefined();
  });

  it('uses the last line and compares with maxAgeHours', () => {
    const out = 'vm/111/2026-05-20T02:00:00Z\nvm/111/2026-05-21T02:00:00Z\n2026-05-22T02:00:00Z\n';
    expect(backupFinding(out, 26, now)).toMatchObject({
      level: 'ok',
      detail: 'The newest backup (2026-05-22 02:00 UTC) is 10 h old.',
    });
    expect(backupFinding('2026-05-21T02:00:00Z', 26, now)).toMatchObject({ level: 'fail' });
    expect(backupFinding('2026-05-21T02:00:00Z', 26, now).detail).toMatch(/is 34 h old, over the 26 h limit/);
  });

  it('warns about a backup from the future and is unknown on output it cannot read', () => {
    expect(backupFinding('2026-05-23T02:00:00Z', 26, now).level).toBe('warn');
    expect(backupFinding('no backups found', 26, now).level).toBe('unknown');
    expect(backupFinding('', 26, now).level).toBe('unknown');
  });
});
