import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InviteHistory,
  type InviteHistoryEntry,
  inviteRef,
  ROOM_INVITE_WAIT_MS,
  roomInviteUnderWay,
} from '../../../../src-main/core/matrix/invite-history';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function history(): Promise<InviteHistory> {
  const dir = await mkdtemp(join(tmpdir(), 'invite-history-'));
  dirs.push(dir);
  return new InviteHistory(join(dir, 'invites', 'lab.json'));
}

const entry = (token: string, issuedAt: number): InviteHistoryEntry => ({
  ref: inviteRef(token),
  hint: `${token.slice(0, 4)}…`,
  issuedAt,
  expiresAt: null,
  usesAllowed: 1,
  state: 'pending',
  endedAt: null,
  joined: [],
  inviteTo: null,
  invitedTo: null,
  inviteProblem: null,
  usedSeenAt: null,
});

describe('the invite history', () => {
  it('keeps what became of each invite without its token', async () => {
    const h = await history();
    expect(await h.read()).toEqual([]);
    await h.add(entry('AAAAbbbbCCCCdddd', 1));
    await h.add(entry('EEEEffffGGGGhhhh', 2));
    await h.end(inviteRef('AAAAbbbbCCCCdddd'), 'used', 10, ['@alice:lab.test']);
    await h.end(inviteRef('AAAAbbbbCCCCdddd'), 'revoked', 11);
    const all = await h.read();
    expect(all.map((e) => [e.hint, e.state, e.joined])).toEqual([
      ['EEEE…', 'pending', []],
      ['AAAA…', 'used', ['@alice:lab.test']],
    ]);
    const text = await readFile(h.path, 'utf8');
    expect(text).not.toContain('AAAAbbbbCCCCdddd');
    expect(inviteRef('AAAAbbbbCCCCdddd')).toMatch(/^[0-9a-f]{24}$/);
    expect(inviteRef('AAAAbbbbCCCCdddd')).not.toBe(inviteRef('AAAAbbbbCCCCdddD'));
  });

  it('keeps the 100 newest ended invites and every pending one', async () => {
    const h = await history();
    await h.update(() =>
      Array.from({ length: 150 }, (_, i) => ({
        ...entry(`T${String(i).padStart(15, '0')}`, i),
        state: 'expired' as const,
        endedAt: i,
      })),
    );
    await h.add(entry('PENDINGpending00', 500));
    const all = await h.read();
    expect(all).toHaveLength(101);
    expect(all.filter((e) => e.state === 'pending')).toHaveLength(1);
    expect(Math.min(...all.filter((e) => e.endedAt !== null).map((e) => e.endedAt as number))).toBe(50);
  });

  it('records what became of the room invite, and reads a history written before rooms were asked for', async () => {
    const h = await history();
    const { inviteTo: _a, invitedTo: _b, inviteProblem: _c, ...older } = entry('AAAAbbbbCCCCdddd', 1);
    await mkdir(dirname(h.path), { recursive: true });
    await writeFile(h.path, JSON.stringify({ invites: [older] }));
    expect(await h.read()).toEqual([entry('AAAAbbbbCCCCdddd', 1)]);
    await h.add({ ...entry('EEEEffffGGGGhhhh', 2), inviteTo: '#family:lab.test' });
    await h.end(inviteRef('EEEEffffGGGGhhhh'), 'used', 10, ['@nana:lab.test']);
    await h.roomInvited(inviteRef('EEEEffffGGGGhhhh'), {
      invitedTo: '#family:lab.test',
      inviteProblem: null,
    });
    expect((await h.read()).find((e) => e.hint === 'EEEE…')).toMatchObject({
      state: 'used',
      joined: ['@nana:lab.test'],
      inviteTo: '#family:lab.test',
      invitedTo: '#family:lab.test',
      inviteProblem: null,
    });
  });

  it('holds "joined" back while the look that ended it is still inviting into the room, not longer than the wait', async () => {
    const h = await history();
    const withRoom = inviteRef('EEEEffffGGGGhhhh');
    await h.add({ ...entry('EEEEffffGGGGhhhh', 2), inviteTo: '#family:lab.test' });
    await h.add(entry('IIIIjjjjKKKKllll', 3));
    await h.end(withRoom, 'used', 10, ['@nana:lab.test']);
    await h.end(inviteRef('IIIIjjjjKKKKllll'), 'used', 10, ['@bob:lab.test']);
    const read = async (ref: string) => (await h.read()).find((e) => e.ref === ref)!;
    // Ended, its room invite not yet answered: another look must not tell it without the room.
    expect(roomInviteUnderWay(await read(withRoom), 11)).toBe(true);
    // An invite without a room has nothing to wait for.
    expect(roomInviteUnderWay(await read(inviteRef('IIIIjjjjKKKKllll')), 11)).toBe(false);
    // The look that ended it died before it could say: told without the room after the wait.
    expect(roomInviteUnderWay(await read(withRoom), 10 + ROOM_INVITE_WAIT_MS)).toBe(false);
    await h.roomInvited(withRoom, {
      invitedTo: null,
      inviteProblem: 'The room #family:lab.test does not exist.',
    });
    expect(roomInviteUnderWay(await read(withRoom), 11)).toBe(false);
  });

  it('reads a file it cannot understand as empty', async () => {
    const h = await history();
    await h.add(entry('AAAAbbbbCCCCdddd', 1));
    await writeFile(h.path, '{"invites": [{"ref": "nope"}]}');
    expect(await h.read()).toEqual([]);
    await writeFile(h.path, 'not json');
    expect(await h.read()).toEqual([]);
  });
});
