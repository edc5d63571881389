/**
 * The Matrix spec's grammar for server names and user IDs (spec: Appendices → Identifier Grammar).
 * Validating here, at the edge, is what keeps a hostile string from ever being built into a command.
 */

const DNS_NAME =
  /^(?=.{1,255}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** The spec allows 1–4 hex digits per group and "::" compression, inside brackets. */
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;
const PORT = /^[0-9]{1,5}$/;
/** Current spec: localparts of new users are a-z 0-9 . _ = - / + */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

function isIpv6(s: string): boolean {
  if (!IPV6_CHARS.test(s)) return false;
  const doubles = s.split('::').length - 1;
  if (doubles > 1) return false;
  const parts = s.split(':');
  let groups = 0;
  for (const [i, p] of parts.entries()) {
    if (p === '') continue;
    if (i === parts.length - 1 && IPV4.test(p)) {
      groups += 2;
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return false;
    groups += 1;
  }
  return doubles === 1 ? groups < 8 : groups === 8;
}

export type ServerNameProblem = string | null;

/** null when `s` is a valid server name, else why not. */
export function serverNameProblem(s: string): ServerNameProblem {
  if (s.length === 0) return 'is empty';
  if (s.length > 255) return 'is longer than 255 characters';
  let host = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return 'has an unclosed "[" (IPv6 literals are written [::1])';
    host = s.slice(1, end);
    const rest = s.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return 'has characters after the IPv6 literal';
      port = rest.slice(1);
    }
    if (!isIpv6(host)) return 'has an invalid IPv6 literal';
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
    if (!IPV4.test(host) && !DNS_NAME.test(host)) {
      return 'is not a hostname, IPv4 address or [IPv6] literal (letters, digits, "-" and "." only)';
    }
  }
  if (port !== undefined) {
    if (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535) return 'has a port that is not 1–65535';
  }
  return null;
}

export function isServerName(s: string): boolean {
  return serverNameProblem(s) === null;
}

/** null when `s` is a valid localpart, else why not. */
export function localpartProblem(s: string): string | null {
  if (s.length === 0) return 'is empty';
  if (!LOCALPART.test(s)) return 'may only hold a-z, 0-9 and . _ = - / +';
  return null;
}

/**
 * Accepts "@localpart:server" or a bare localpart, and returns the full user ID on `ownServer`,
 * or why it is not acceptable. Users of other servers are refused: admin actions act on local users only.
 */
export function parseLocalUserId(input: string, ownServer: string): { userId: string } | { problem: string } {
  const s = input.trim();
  let localpart = s;
  let server = ownServer;
  if (s.startsWith('@')) {
    const colon = s.indexOf(':');
    if (colon < 0) return { problem: 'needs the form @localpart:server' };
    localpart = s.slice(1, colon);
    server = s.slice(colon + 1);
  }
  const lp = localpartProblem(localpart);
  if (lp) return { problem: `localpart ${lp}` };
  const sp = serverNameProblem(server);
  if (sp) return { problem: `server name ${sp}` };
  if (server !== ownServer)
    return { problem: `is on ${server}; only users of ${ownServer} can be managed here` };
  const userId = `@${localpart}:${server}`;
  if (userId.length > 255) return { problem: 'is longer than 255 characters' };
  return { userId };
}

/**
 * null when `input` is a syntactically valid "@localpart:server" or bare localpart, on any server;
 * whether it is on the own server is parseLocalUserId's question.
 */
export function userInputProblem(input: string): string | null {
  const s = input.trim();
  if (!s.startsWith('@')) {
    const lp = localpartProblem(s);
    return lp ? `localpart ${lp}` : null;
  }
  const colon = s.indexOf(':');
  if (colon < 0) return 'needs the form @localpart:server';
  const lp = localpartProblem(s.slice(1, colon));
  if (lp) return `localpart ${lp}`;
  const sp = serverNameProblem(s.slice(colon + 1));
  if (sp) return `server name ${sp}`;
  if (s.length > 255) return 'is longer than 255 characters';
  return null;
}
