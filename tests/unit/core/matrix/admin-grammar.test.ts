import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkAdminCommand,
  LATEST_KNOWN_RELEASE,
  resolveAdminCommand,
} from '../../../../src-main/core/matrix/admin-grammar';
import { TUWUNEL_VERSIONS } from '../../../lab/types';

/**
 * The grammar tests/lab/tuwunel/extract-upstream.ts reads from the clap enums under src/admin at each tag:
 * `G_SUBS[path]` (subcommands of a group) and `G_ALIAS["path alias"]` (the name an alias stands for).
 */
function labGrammar(version: string): { subs: Map<string, string[]>; aliases: Map<string, string> } {
  const text = readFileSync(
    join(import.meta.dirname, '../../../lab/homeserver/lib/grammar', `${version}.sh`),
    'utf8',
  );
  const subs = new Map<string, string[]>();
  const aliases = new Map<string, string>();
  for (const m of text.matchAll(/^G_SUBS\[\$'([^']*)'\]=\$'([^']*)'$/gm))
    subs.set(m[1] as string, (m[2] as string).split(' '));
  for (const m of text.matchAll(/^G_ALIAS\[\$'([^']*)'\]=\$'([^']*)'$/gm))
    aliases.set(m[1] as string, m[2] as string);
  return { subs, aliases };
}

describe('the admin grammar the guards use, per release', () => {
  it.each(TUWUNEL_VERSIONS)('agrees with the grammar of Tuwunel %s', (version) => {
    const { subs, aliases } = labGrammar(version);
    // Every alias resolves to its command, as clap does.
    for (const [spelling, name] of aliases) {
      const group = spelling.split(' ').slice(0, -1).join(' ');
      expect(resolveAdminCommand(spelling, version).path, spelling).toBe(`${group} ${name}`);
    }
    // `rooms info` is a group before 1.8.3 and one command from then on.
    const infoIsGroup = subs.has('rooms info');
    expect(resolveAdminCommand('rooms info view-room-topic !r:x', version).path).toBe(
      infoIsGroup ? 'rooms info view-room-topic' : 'rooms info',
    );
    // The commands the guards and advice name exist at this release.
    for (const [group, sub] of [
      ['rooms', 'list'],
      ['rooms', 'exists'],
      ['token', 'list'],
      ['token', 'issue'],
      ['token', 'revoke'],
      ['server', 'shutdown'],
      ['server', 'restart'],
      ['federation', 'incoming-federation'],
    ] as const)
      expect(subs.get(group), `${group} ${sub}`).toContain(sub);
    const advice = checkAdminCommand('rooms list', version).refused?.nextStep ?? '';
    for (const named of advice.matchAll(/"(rooms [a-z-]+(?: [a-z-]+)?) <room_id>"/g)) {
      const words = (named[1] as string).split(' ');
      expect(subs.get(words.slice(0, -1).join(' ')), named[1]).toContain(words.at(-1));
    }
  });

  it('knows the newest release the lab plays', () => {
    expect(LATEST_KNOWN_RELEASE).toBe(TUWUNEL_VERSIONS.at(-1));
  });

  it('reads a command line as the server does: prefix, spacing, help, underscores, aliases', () => {
    expect(resolveAdminCommand('!admin   users  list', '1.7.0')).toEqual({
      text: 'users list',
      path: 'users list-users',
      helpOnly: false,
    });
    expect(resolveAdminCommand('users list_users', '1.9.0').path).toBe('users list-users');
    expect(resolveAdminCommand('server reload', '1.9.0').path).toBe('server reload-mods');
    expect(resolveAdminCommand('help rooms list', '1.9.0')).toMatchObject({
      path: 'rooms list',
      helpOnly: true,
    });
    expect(resolveAdminCommand('rooms list --help', '1.9.0').helpOnly).toBe(true);
    expect(resolveAdminCommand('rooms list -- -h', '1.9.0').helpOnly).toBe(false);
  });

  it('refuses listing all rooms in every spelling, and token commands; knows outages and stubs', () => {
    for (const spelling of ['rooms list', '!admin rooms list 3', 'Rooms   LIST --no-details'])
      expect(checkAdminCommand(spelling, '1.9.0').refused?.reason, spelling).toMatch(/list all rooms/);
    expect(checkAdminCommand('rooms list --help', '1.9.0').refused).toBeUndefined();
    expect(checkAdminCommand('token list', '1.7.0').refused?.reason).toMatch(/vault’s/);
    expect(checkAdminCommand('token issue --max-uses 1', '1.7.0').carriesToken).toBeDefined();
    expect(checkAdminCommand('token revoke abcd', '1.9.0').carriesToken).toBeDefined();
    expect(checkAdminCommand('server shutdown', '1.9.0').outage).toMatch(/shuts the homeserver down/);
    expect(checkAdminCommand('server restart --force', '1.9.0').outage).toMatch(/restarts/);
    expect(checkAdminCommand('federation incoming-federation', '1.8.0').stub).toMatch(
      /disabled in Tuwunel 1\.8\.0/,
    );
    // A release after the last one known to stub it is asked again.
    expect(checkAdminCommand('federation incoming-federation', '1.9.1').stub).toBeUndefined();
    expect(checkAdminCommand('server uptime', '1.9.0')).toEqual({
      text: 'server uptime',
      path: 'server uptime',
      helpOnly: false,
    });
  });
});
