import type { HostRole } from '../core/vocab';
import type { HostKeyInfo } from './views/common-schema';
import type { StatusSnapshot } from './views/status-schema';

/**
 * Which unknown host keys a poll met, to ask the user about each once per poll: a window busy with another
 * dialog (or a user who said "not now") is asked again at the next poll rather than never, and not at
 * every status change in between.
 */
export class HostKeyPrompts {
  /** The unknown key (and the poll) each host was last prompted for. */
  private readonly asked = new Map<HostRole, string>();

  /** The keys to ask about after a finished poll; none while a poll is still running. */
  due(view: StatusSnapshot): HostKeyInfo[] {
    if (view.refreshing) return [];
    const due: HostKeyInfo[] = [];
    for (const h of view.hosts) {
      if (h.host === 'public') continue;
      const key = h.error?.code === 'HostKeyUnknown' ? h.error.hostKey : undefined;
      if (!key) {
        this.asked.delete(h.host);
        continue;
      }
      const asked = `${key.fingerprint} ${view.lastRefresh}`;
      if (this.asked.get(h.host) === asked) continue;
      this.asked.set(h.host, asked);
      due.push(key);
    }
    return due;
  }

  /** The key of this host was trusted: a later unknown key is a new question. */
  answered(host: HostRole): void {
    this.asked.delete(host);
  }
}
