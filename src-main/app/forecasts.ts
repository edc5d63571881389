import { type DiskForecast, diskForecast } from '../core/forecast/disk';
import { daysLeft, dueThreshold } from '../core/forecast/expiry';
import { type DomainExpiry, loadBootstrap, lookupDomainExpiry } from '../core/forecast/rdap';
import { DAY_MS, type HistoryStore, type ServerRef } from '../core/history/history-store';
import type { HttpRequester } from '../core/lib/http-request';
import { DISK_AVAILABLE_GAUGE, DISK_USED_GAUGE } from './history-recorder';

/** The expiry row the RDAP lookup keeps (TLS ones are keyed by their check id, `tls:*`). */
export const DOMAIN_EXPIRY = 'domain';
/** The registration changes seldom: asked at most once a day. */
export const DOMAIN_CHECK_EVERY_MS = DAY_MS;

export interface ExpiryForecast {
  what: string;
  title: string;
  expiresAt: string;
  daysLeft: number;
  checkedAt: string;
}

export interface ForecastView {
  certificates: ExpiryForecast[];
  domain: ExpiryForecast | null;
  disk: (DiskForecast & { availableBytes: number }) | null;
}

/** A forecast to tell (desktop notification, off-host channels), once per threshold. */
export interface ForecastNotice {
  what: string;
  title: string;
  text: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const whole = (days: number) => Math.max(0, Math.floor(days));

export function forecastView(history: HistoryStore, serverKey: string, now: number): ForecastView {
  const expiries = history.expiries(serverKey).map((e) => ({
    what: e.what,
    title: e.source,
    expiresAt: iso(e.expiresAt),
    daysLeft: daysLeft(e.expiresAt, now),
    checkedAt: iso(e.checkedAt),
  }));
  const used = history.gauge(serverKey, DISK_USED_GAUGE, now - 14 * DAY_MS);
  const available = history.gauge(serverKey, DISK_AVAILABLE_GAUGE, now - DAY_MS).at(-1)?.value;
  const disk = available === undefined ? null : diskForecast(used, available, now);
  return {
    certificates: expiries.filter((e) => e.what.startsWith('tls:')),
    domain: expiries.find((e) => e.what === DOMAIN_EXPIRY) ?? null,
    disk: disk && available !== undefined ? { ...disk, availableBytes: available } : null,
  };
}

/**
 * The forecasts due now: a certificate or the domain that crossed a notify-before threshold (each threshold of
 * each expiry date once, across processes), and a disk forecast to be full within `diskFullNotifyDays` (once a
 * week while it stays so).
 */
export function dueForecastNotices(
  history: HistoryStore,
  server: ServerRef,
  settings: { expiryNotifyDays: readonly number[]; diskFullNotifyDays: number },
  now: number,
): ForecastNotice[] {
  const notices: ForecastNotice[] = [];
  const view = forecastView(history, server.key, now);
  for (const e of [...view.certificates, ...(view.domain ? [view.domain] : [])]) {
    const expiresAt = Date.parse(e.expiresAt);
    const due = dueThreshold(expiresAt, now, settings.expiryNotifyDays, (days) =>
      history.claimNotification(server, e.what, expiresAt, days, now),
    );
    if (due === null) continue;
    const date = e.expiresAt.slice(0, 10);
    notices.push(
      e.what === DOMAIN_EXPIRY
        ? {
            what: e.what,
            title: `domain registration ends in ${whole(e.daysLeft)} days`,
            text: `${e.title} is registered until ${date}; renew it with the registrar before then, or the server's name stops resolving.`,
          }
        : {
            what: e.what,
            title: `certificate expires in ${whole(e.daysLeft)} days`,
            text: `${e.title} is valid until ${date}; check that automatic renewal works at the edge proxy.`,
          },
    );
  }
  const disk = view.disk;
  if (disk?.daysToFull != null && disk.daysToFull <= settings.diskFullNotifyDays) {
    const week = Math.floor(now / (7 * DAY_MS));
    if (history.claimNotification(server, 'disk:full', week, settings.diskFullNotifyDays, now))
      notices.push({
        what: 'disk:full',
        title: `data disk full in about ${whole(disk.daysToFull)} days`,
        text: `The disk holding Tuwunel's data grows about ${Math.round(disk.growthBytesPerDay / 1_048_576)} MiB a day (over ${disk.basedOnDays} days); free space (old media, journal, docker images) or grow the disk before RocksDB stops writing.`,
      });
  }
  return notices;
}

/**
 * Reads the registration expiry of the server name's domain through RDAP when the last reading is older than a
 * day, and keeps it in the history. Returns what is known afterwards; a failed lookup is thrown (RdapLookupFailed)
 * and leaves the last reading in place.
 */
export async function refreshDomainExpiry(
  history: HistoryStore,
  server: ServerRef,
  serverName: string,
  deps: { dataDir: string; request: HttpRequester; now: number },
): Promise<DomainExpiry | null> {
  const known = history.expiries(server.key).find((e) => e.what === DOMAIN_EXPIRY);
  if (known && deps.now - known.checkedAt < DOMAIN_CHECK_EVERY_MS)
    return { domain: known.source, expiresAt: known.expiresAt, source: known.source };
  const found = await lookupDomainExpiry(serverName, await loadBootstrap(deps.dataDir), deps.request);
  if (found)
    history.setExpiry(server, {
      what: DOMAIN_EXPIRY,
      expiresAt: found.expiresAt,
      checkedAt: deps.now,
      source: found.domain,
    });
  return found;
}
