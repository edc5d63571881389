import type { ParamRule } from './run-schema';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const H = '[0-9A-Fa-f]{1,4}';
/** IPv6 without the embedded-IPv4 forms: stricter than the grammar, never looser. */
const IPV6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
].join('|');

/**
 * The Matrix identifier grammar (core/lib/grammar.ts) as form rules, for instant feedback only: the core
 * decides with the grammar itself. The router's tests check that these never accept what the grammar refuses.
 */
export const paramRules = {
  matrixUser(ownServer: string): ParamRule[] {
    return [
      { pattern: '\\S', message: 'is empty' },
      { pattern: '^(?!\\s*@[^:]*$)', message: 'needs the form @localpart:server' },
      {
        pattern: '^\\s*@?[a-z0-9._=\\-/+]+(?::|\\s*$)',
        message: 'may only hold a-z, 0-9 and . _ = - / + before the ":"',
      },
      {
        pattern: `^\\s*(?:[^@:\\s]+|@[^:]+:${escapeRegExp(ownServer)})\\s*$`,
        message: `must be a user of ${ownServer}`,
      },
    ];
  },
  serverName(): ParamRule[] {
    return [
      { pattern: '^.{1,255}$', flags: 's', message: 'must be 1 to 255 characters' },
      {
        pattern: '^(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$',
        message: 'is not a hostname, IPv4 address or [IPv6] literal (letters, digits, "-" and "." only)',
      },
      {
        pattern: `^(?:[^[].*|\\[(?:${IPV6})\\](?::[0-9]+)?)$`,
        message: 'has an invalid IPv6 literal',
      },
      {
        pattern:
          '^(?:\\[.*\\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::[0-9]+)?$',
        message: 'has an empty label or a label that starts or ends with "-"',
      },
      {
        pattern:
          '^(?:[^:]*|\\[[^\\]]*\\])$|:(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$',
        message: 'has a port that is not 1–65535',
      },
    ];
  },
};
