import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isLoopbackUrl } from '../alerts/channel-schema';
import { replaceFileAtomically } from '../lib/atomic-file';
import type { HttpRequester } from '../lib/http-request';
import { RequestFailed } from '../lib/http-request';
import { RdapLookupFailed } from './errors';
import shipped from './iana-rdap-dns.json';

/**
 * Domain registration expiry through RDAP (RFC 9082/9083), the registry found with IANA's bootstrap file for
 * DNS (RFC 9224). The app ships the file (iana-rdap-dns.json: IANA's https://data.iana.org/rdap/dns.json as
 * published 2024-04-24T18:00:02Z) and replaces it with a newer publication when the network gives one.
 */
export const IANA_DNS_BOOTSTRAP_URL = 'https://data.iana.org/rdap/dns.json';
/** The refreshed bootstrap file in the data folder. */
export const BOOTSTRAP_CACHE_FILE = 'rdap-dns.json';

const bootstrapSchema = z.object({
  version: z.string().optional(),
  publication: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date'),
  description: z.string().optional(),
  services: z.array(z.tuple([z.array(z.string()), z.array(z.string())]).rest(z.unknown())).min(1),
});
export type Bootstrap = z.infer<typeof bootstrapSchema>;

export const SHIPPED_BOOTSTRAP: Bootstrap = bootstrapSchema.parse(shipped);

export function parseBootstrap(json: unknown): Bootstrap | null {
  const r = bootstrapSchema.safeParse(json);
  return r.success ? r.data : null;
}

/**
 * The registry's RDAP base URL for a name: the longest entry that ends the name (entries are TLDs, or longer
 * suffixes), its first https URL (RFC 9224 lists https first when a registry offers both). Plain http is used
 * only to this computer (a local mirror or the lab), as for the alert channels: the answer decides a warning.
 */
export function rdapBaseFor(bootstrap: Bootstrap, name: string): { suffix: string; base: string } | null {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).join('.');
    for (const [entries, urls] of bootstrap.services) {
      if (!entries.some((e) => e.toLowerCase().replace(/\.$/, '') === suffix)) continue;
      const base =
        urls.find((u) => u.startsWith('https://')) ??
        urls.find((u) => {
          const url = URL.parse(u);
          return url?.protocol === 'http:' && isLoopbackUrl(url);
        });
      if (base) return { suffix, base: base.endsWith('/') ? base : `${base}/` };
    }
  }
  return null;
}

/** The bootstrap file to use: the refreshed one in the data folder when it is valid and newer, else the shipped one. */
export async function loadBootstrap(dataDir: string): Promise<Bootstrap> {
  try {
    const cached = parseBootstrap(JSON.parse(await readFile(join(dataDir, BOOTSTRAP_CACHE_FILE), 'utf8')));
    if (cached && Date.parse(cached.publication) > Date.parse(SHIPPED_BOOTSTRAP.publication)) return cached;
  } catch {
    // None yet, or unreadable: the shipped file answers.
  }
  return SHIPPED_BOOTSTRAP;
}

/**
 * Fetches IANA's bootstrap file and keeps it in the data folder when it is a newer publication than the one in
 * use. Returns the publication in use afterwards. A network failure leaves everything as it was (and says so).
 */
export async function refreshBootstrap(
  dataDir: string,
  request: HttpRequester,
  url = IANA_DNS_BOOTSTRAP_URL,
): Promise<{ publication: string; updated: boolean }> {
  const current = await loadBootstrap(dataDir);
  const reply = await request({ method: 'GET', url, timeoutMs: 15_000, maxBodyBytes: 2 * 1024 * 1024 }).catch(
    (e: unknown) => {
      throw new RdapLookupFailed(
        `IANA's bootstrap file could not be fetched (${e instanceof RequestFailed ? e.code : 'error'})`,
        'The shipped one is used meanwhile; it is fetched again later.',
      );
    },
  );
  let fetched: Bootstrap | null = null;
  try {
    fetched = reply.status === 200 ? parseBootstrap(JSON.parse(reply.body)) : null;
  } catch {
    fetched = null;
  }
  if (!fetched)
    throw new RdapLookupFailed(
      `IANA's bootstrap file answered ${reply.status} without a valid file`,
      'The shipped one is used meanwhile; it is fetched again later.',
    );
  if (Date.parse(fetched.publication) <= Date.parse(current.publication))
    return { publication: current.publication, updated: false };
  await mkdir(dataDir, { recursive: true });
  await replaceFileAtomically(join(dataDir, BOOTSTRAP_CACHE_FILE), `${JSON.stringify(fetched)}\n`);
  return { publication: fetched.publication, updated: true };
}

export interface DomainExpiry {
  /** The registered domain that answered (the server name or the part of it that is registered). */
  domain: string;
  expiresAt: number;
  /** The RDAP base URL asked. */
  source: string;
}

const rdapDomainSchema = z.object({
  objectClassName: z.literal('domain').optional(),
  events: z.array(z.object({ eventAction: z.string(), eventDate: z.string() }).passthrough()).optional(),
});

/**
 * When the registration of the server name's domain ends. The registered domain is not always the last two
 * labels (example.co.uk), so the names from the registry's suffix plus one label up to the full name are asked
 * in turn; the first with an `expiration` event answers. null: the registry answered but names no expiry.
 */
export async function lookupDomainExpiry(
  serverName: string,
  bootstrap: Bootstrap,
  request: HttpRequester,
): Promise<DomainExpiry | null> {
  const host = serverName.replace(/:\d+$/, '').toLowerCase();
  if (/^[\d.]+$/.test(host) || host.startsWith('['))
    throw new RdapLookupFailed(
      `${serverName} is an IP address, not a registered domain`,
      'Nothing to watch: an IP address has no registration that expires.',
    );
  const found = rdapBaseFor(bootstrap, host);
  if (!found)
    throw new RdapLookupFailed(
      `no RDAP registry serves .${host.split('.').pop()} in IANA's bootstrap file`,
      'Watch the registration with your registrar; the file is refreshed from IANA when the network allows.',
    );
  const labels = host.split('.');
  const suffixLabels = found.suffix.split('.').length;
  for (let n = suffixLabels + 1; n <= labels.length; n++) {
    const domain = labels.slice(labels.length - n).join('.');
    const url = `${found.base}domain/${encodeURIComponent(domain)}`;
    const reply = await request({
      method: 'GET',
      url,
      headers: { Accept: 'application/rdap+json, application/json' },
      timeoutMs: 15_000,
      maxBodyBytes: 512 * 1024,
    }).catch((e: unknown) => {
      throw new RdapLookupFailed(
        `the registry ${new URL(url).host} could not be reached (${e instanceof RequestFailed ? e.code : 'error'})`,
        'It is asked again later.',
      );
    });
    if (reply.status === 404) continue;
    if (reply.status !== 200)
      throw new RdapLookupFailed(
        `the registry ${new URL(url).host} answered ${reply.status}`,
        'It is asked again later.',
      );
    let parsed: z.infer<typeof rdapDomainSchema> | null = null;
    try {
      const r = rdapDomainSchema.safeParse(JSON.parse(reply.body));
      parsed = r.success ? r.data : null;
    } catch {
      parsed = null;
    }
    if (!parsed)
      throw new RdapLookupFailed(
        `the registry's answer for ${domain} is not an RDAP domain`,
        'It is asked again later.',
      );
    const expiration = parsed.events?.find((e) => e.eventAction === 'expiration');
    const expiresAt = expiration ? Date.parse(expiration.eventDate) : Number.NaN;
    if (Number.isNaN(expiresAt)) return null;
    return { domain, expiresAt, source: found.base };
  }
  throw new RdapLookupFailed(
    `the registry does not know ${host} or any domain it is under`,
    'Check the server name; a name under a private suffix (a dynamic DNS provider) has no registration of its own.',
  );
}
