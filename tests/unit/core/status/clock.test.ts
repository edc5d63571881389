import { afterEach, describe, expect, it, vi } from 'vitest';
import { JUMP_CHECK_MS, JUMP_MIN_MS, systemClock } from '../../../../src-main/core/status/clock';

/**
 * The system clock's jump watch, with the process's timers, Date and performance faked together: awake
 * time moves with the timers, and setSystemTime moves the wall clock alone, as a machine that slept.
 */
afterEach(() => {
  vi.useRealTimers();
});

function fakeTime(): void {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date', 'performance'] });
}

describe('systemClock.watchJumps', () => {
  it('says nothing while wall time and awake time move together', () => {
    fakeTime();
    const heard: number[] = [];
    const stop = systemClock.watchJumps((ahead) => heard.push(ahead));
    vi.advanceTimersByTime(10 * JUMP_CHECK_MS);
    expect(heard).toEqual([]);
    stop();
  });

  it('tells how far the wall clock ran ahead, at the next check after the wake', () => {
    fakeTime();
    const heard: number[] = [];
    const stop = systemClock.watchJumps((ahead) => heard.push(ahead));
    vi.advanceTimersByTime(2_000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(JUMP_CHECK_MS - 2_001);
    expect(heard).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(heard).toEqual([3_600_000]);
    vi.advanceTimersByTime(10 * JUMP_CHECK_MS);
    expect(heard).toHaveLength(1);
    stop();
  });

  it('ignores small steps (NTP corrections) and a clock set back', () => {
    fakeTime();
    const heard: number[] = [];
    const stop = systemClock.watchJumps((ahead) => heard.push(ahead));
    vi.setSystemTime(Date.now() + JUMP_MIN_MS - 1_000);
    vi.advanceTimersByTime(JUMP_CHECK_MS);
    vi.setSystemTime(Date.now() - 3_600_000);
    vi.advanceTimersByTime(JUMP_CHECK_MS);
    expect(heard).toEqual([]);
    stop();
  });

  it('unsubscribes without a timer left behind', () => {
    fakeTime();
    const heard: number[] = [];
    const stop = systemClock.watchJumps((ahead) => heard.push(ahead));
    expect(vi.getTimerCount()).toBe(1);
    stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(JUMP_CHECK_MS);
    expect(heard).toEqual([]);
  });
});
