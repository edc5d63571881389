/**
 * Which links may leave the app for the user's browser. Everything else is refused: the window never
 * navigates anywhere, and `shell.openExternal` with an attacker's URL can start arbitrary programs
 * (file:, smb:, custom schemes), so only https to a short list of hosts passes.
 */

/** Exact hosts (no subdomains): Element, the Matrix site. */
const HOSTS = ['app.element.io', 'element.io', 'matrix.org'] as const;

/** Host + first path segment: the upstream projects the runbook and the dashboard link to. */
const PATH_PREFIXES = [
  { host: 'github.com', owner: 'matrix-construct' },
  { host: 'github.com', owner: 'spantaleev' },
] as const;

/**
 * @param publicUrl the profile's publicUrl: links to the user's own homeserver (its host and port) pass too.
 */
export function externalUrlAllowed(url: string, publicUrl: string | null): boolean {
  const u = parse(url);
  if (u?.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
  const own = publicUrl ? parse(publicUrl) : null;
  if (own && own.protocol === 'https:' && u.host === own.host) return true;
  if (u.port !== '') return false;
  const host = u.hostname;
  if ((HOSTS as readonly string[]).includes(host)) return true;
  const owner = u.pathname.split('/')[1]?.toLowerCase();
  return PATH_PREFIXES.some((p) => p.host === host && p.owner === owner);
}

/** What happens when the page tries to navigate (will-navigate) or open a window (window.open, links). */
export interface NavigationDecision {
  /** Never: the window shows the app's page and nothing else. */
  allowInWindow: false;
  /** The URL goes to the user's browser instead, when the allowlist accepts it. */
  openExternally: string | null;
}

export function navigationDecision(url: string, publicUrl: string | null): NavigationDecision {
  return { allowInWindow: false, openExternally: externalUrlAllowed(url, publicUrl) ? url : null };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
