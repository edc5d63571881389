/**
 * Tuwunel's admin-room replies about people, as the app reads them (src/admin/user at v1.7.0–v1.9.0: the texts
 * are the same at every tag; from 1.8.1 in list_users.rs, last_active.rs, delete_device.rs, before in
 * commands.rs), and the registration notice of src/api/client/register*.rs.
 */

/** `Found N local user account(s):` then the IDs in a code block (users list-users). */
export function parseListUsers(text: string): string[] | null {
  const m = /Found (\d+) local user account\(s\):\s*\n```[^\n]*\n([\s\S]*?)\n?```/.exec(text);
  if (!m) return null;
  const ids = (m[2] ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return ids.every((id) => /^@[^\s:]+:\S+$/.test(id)) ? ids : null;
}

export interface LastActiveRow {
  localpart: string;
  /** Epoch ms. */
  at: number;
  ip: string;
}

/** `MilliSecondsSinceUnixEpoch(1733000000000) 127.0.0.1<padded to 40> alice`, one a line (users last-active). */
export function parseLastActive(text: string): LastActiveRow[] {
  const rows: LastActiveRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*MilliSecondsSinceUnixEpoch\((\d+)\)\s(.{0,60}?)\s+(\S+)\s*$/.exec(line);
    if (m) rows.push({ at: Number(m[1]), ip: (m[2] ?? '').trim(), localpart: m[3] as string });
  }
  return rows;
}

/** `User @u:s's device DEVICE removed.` */
export function deviceRemovedLine(userId: string, deviceId: string): string {
  return `User ${userId}'s device ${deviceId} removed.`;
}

/** `New user "@u:s" registered on this server from IP 1.2.3.4 with device name Element X` (announce_new_user). */
export function parseRegistrationNotice(body: string): { userId: string } | null {
  const m = /^New user "(@[^"\s]+)" registered on this server/.exec(body.trim());
  return m ? { userId: m[1] as string } : null;
}
