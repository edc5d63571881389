import { z } from 'zod';
import { serverNameProblem } from '../lib/grammar';
import { HOST_ROLES, type HostRole } from '../vocab';

/** The units the playbook renders for a Tuwunel deploy (runbook: "Service layout on VM 111"). */
export const DEFAULT_UNITS = [
  'matrix-tuwunel',
  'matrix-traefik',
  'matrix-livekit-server',
  'matrix-livekit-jwt-service',
  'matrix-static-files',
  'matrix-postgres',
  'matrix-client-element',
  'matrix-container-socket-proxy',
  'matrix-exim-relay',
] as const;

export { HOST_ROLES, type HostRole };
export const hostRoleSchema = z.enum(HOST_ROLES);

const serverName = z.string().superRefine((s, ctx) => {
  const problem = serverNameProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `server name ${problem}` });
});

/**
 * Remote paths end up on shell command lines (quoted), so keep them plain absolute or relative paths.
 * Quoting cannot stop a leading "-" from being read as an option (`cd -P` goes to $HOME): write ./-x.
 * A leading "~" is quoted too, so the shell never expands it: `cd '~/matrix-deploy'` looks for a
 * folder named "~"; relative paths already start at the login directory.
 */
const remotePath = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[A-Za-z0-9_@%+=:,./~-]+$/, 'may only hold letters, digits and _ @ % + = : , . / ~ -')
  .regex(/^[^-]/, 'must not start with "-" (a command would read it as an option; write ./ in front)')
  .regex(
    /^[^~]/,
    'must not start with "~" (the remote shell gets it quoted and never expands it): write the absolute path, or one relative to the login directory',
  );

/**
 * `new URL`, not z.url(): Node 20's URL.canParse (which z.url() calls) answers false for valid URLs
 * with non-ASCII characters once V8 has optimised the call, so the same profile would flip to invalid.
 */
function isHttpsUrl(u: string): boolean {
  if (!u.startsWith('https://') || /[\s\p{Cc}]/u.test(u)) return false;
  try {
    return new URL(u).protocol === 'https:';
  } catch {
    return false;
  }
}

const httpsUrl = z
  .string()
  .refine(isHttpsUrl, 'must be an https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

/** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints a host key's fingerprint. */
export const sha256FingerprintSchema = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256:…)');

/**
 * The profile's stable identity, which its keychain entries are stored under: given by the profile store
 * when the profile is created (a random UUID; never taken from an imported file), or derived from the file
 * of a profile written before there were uids (`f-…`, see load.ts).
 */
export const profileUidSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{7,63}$/, 'must be the id the app gave this profile (letters, digits, -)');

/** A unit name as systemd writes them for this deploy (matrix-*). */
const unitName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,250}$/, 'is not a systemd unit name');

export const hostSchema = z
  .object({
    address: z.string().superRefine((s, ctx) => {
      const problem = serverNameProblem(s);
      if (problem || s.includes(':') !== s.startsWith('['))
        ctx.addIssue({
          code: 'custom',
          message: `address ${problem ?? 'must not carry a port (use port:)'}`,
        });
    }),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'is not a POSIX user name'),
    /** Mutating commands on this host run through sudo. */
    sudo: z.boolean().default(false),
    /** Private key file on this workstation; its passphrase, if any, lives in the keychain. */
    identityFile: z.string().min(1).optional(),
    /** Use the ssh-agent at SSH_AUTH_SOCK (tried first when present). */
    agent: z.boolean().default(true),
    /** Reach this host through another host of the profile (ssh -J). */
    jump: hostRoleSchema.optional(),
    /**
     * The host key this host must present (its SHA256 fingerprint). Any other key is refused before
     * anything is sent, even one trusted in known_hosts; the key must still be trusted there too.
     */
    hostKeyFingerprint: sha256FingerprintSchema.optional(),
    /**
     * Accept `ssh-rsa` host key signatures (RSA with SHA-1) from this host, and sign with SHA-1 for it. Off:
     * RSA host keys still work through rsa-sha2-256/512, as every OpenSSH since 7.2 offers.
     */
    allowSshRsa: z.boolean().default(false),
  })
  .strict();
export type HostConfig = z.infer<typeof hostSchema>;

export const profileSchema = z
  .object({
    uid: profileUidSchema.optional(),
    name: z.string().min(1).max(100),
    serverName,
    publicUrl: httpsUrl,
    /** Where the apex well-known files are served; defaults to https://<serverName>. */
    apexUrl: httpsUrl.optional(),
    /** Extra CA certificate (PEM) trusted for the HTTPS checks, e.g. a private CA. */
    caFile: z.string().min(1).optional(),
    hosts: z
      .object({ homeserver: hostSchema, deploy: hostSchema })
      .strict()
      .superRefine((hosts, ctx) => {
        for (const role of HOST_ROLES) {
          const jump = hosts[role].jump;
          if (jump === role)
            ctx.addIssue({
              code: 'custom',
              path: [role, 'jump'],
              message: 'a host cannot jump through itself',
            });
          else if (jump && hosts[jump].jump)
            ctx.addIssue({ code: 'custom', path: [role, 'jump'], message: 'jump hosts cannot be chained' });
        }
      }),
    knownHostsFile: z.string().min(1).default('~/.ssh/known_hosts'),
    units: z
      .array(unitName)
      .min(1)
      .default([...DEFAULT_UNITS]),
    homeserver: z
      .object({
        image: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._/:-]*$/, 'is not a container image name')
          .default('ghcr.io/matrix-construct/tuwunel'),
        version: z
          .string()
          .regex(/^v?\d+\.\d+\.\d+[A-Za-z0-9.+-]*$/, 'must be a version like v1.7.0')
          .default('v1.7.0'),
        dataDir: remotePath.default('/matrix/tuwunel/data'),
        configDir: remotePath.default('/matrix/tuwunel/config'),
      })
      .strict()
      .default({
        image: 'ghcr.io/matrix-construct/tuwunel',
        version: 'v1.7.0',
        dataDir: '/matrix/tuwunel/data',
        configDir: '/matrix/tuwunel/config',
      }),
    deploy: z
      .object({
        host: hostRoleSchema.default('deploy'),
        dir: remotePath.default('/root/matrix-deploy'),
        inventory: remotePath.default('inventory/hosts'),
        vaultPasswordFile: remotePath.default('/root/.vault_pass'),
        varsFile: remotePath,
        /** Where config.apply writes its `| tee` log on the deploy host. */
        logDir: remotePath.default('/root/matrix-deploy/logs'),
      })
      .strict(),
    vault: z
      .object({
        repo: z.string().min(1),
        file: z.string().min(1).default('inventory/group_vars/all/vault.yml'),
        key: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a YAML variable name')
          .default('vault_matrix_registration_token'),
        deployCheckout: remotePath,
      })
      .strict()
      .optional(),
    checks: z
      .object({
        backup: z
          .object({
            host: hostRoleSchema.default('homeserver'),
            /**
             * Prints the newest backup's time (epoch seconds or ISO 8601) on its last line. Shell code of
             * the profile's author, run by every status poll; a NUL cannot be passed to a shell at all.
             */
            command: z
              .string()
              .min(1)
              .max(4096)
              .regex(/^[^\0]*$/, 'must not contain a NUL character'),
            maxAgeHours: z.number().positive().default(26),
          })
          .strict()
          .optional(),
        diskWarnPercent: z.number().min(1).max(100).default(85),
        diskFailPercent: z.number().min(1).max(100).default(95),
        certWarnDays: z.number().min(0).default(14),
        certFailDays: z.number().min(0).default(3),
      })
      .strict()
      .default({ diskWarnPercent: 85, diskFailPercent: 95, certWarnDays: 14, certFailDays: 3 }),
    status: z
      .object({
        intervalSeconds: z.number().min(5).max(3600).default(30),
        failuresBeforeDown: z.number().int().min(1).max(20).default(2),
        /** Alert again every N polls while down; 0 = never. */
        realertEvery: z.number().int().min(0).default(0),
        /** Seconds after this computer wakes from sleep during which a failing check does not alert yet. */
        wakeGraceSeconds: z.number().int().min(0).max(3600).default(90),
      })
      .strict()
      .default({ intervalSeconds: 30, failuresBeforeDown: 2, realertEvery: 0, wakeGraceSeconds: 90 }),
  })
  .strict();

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.infer<typeof profileSchema>;

export function apexUrlOf(profile: Profile): string {
  return profile.apexUrl ?? `https://${profile.serverName}`;
}
