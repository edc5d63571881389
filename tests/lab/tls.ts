import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { cachedDir } from './deploy/artefact-cache';
import { mustRun } from './deploy/run';

export interface LabTlsOptions {
  /** Folder the CA certificate is copied into (the lab's client folder). */
  dir: string;
  cacheDir: string;
  /** The homeserver's loopback address; the leaf certificate names it as an IP SAN. */
  address: string;
  /** The Matrix server name; the leaf also names it and `matrix.<serverName>` as DNS SANs. */
  serverName: string;
}

export interface LabTls {
  caCertPath: string;
  keyPem: string;
  certPem: string;
}

// Bumping this retires every cached CA and leaf (e.g. after changing key type or extensions).
const TLS_CACHE_VERSION = 'v1';

/**
 * The lab CA (made once per cache dir) and a leaf for the homeserver, both with the openssl CLI. P-256 keys
 * keep generation in milliseconds; the leaf is cached per address and server name, so a warm start only
 * reads files.
 */
export async function makeLabTls(opts: LabTlsOptions): Promise<LabTls> {
  const caDir = await cachedDir(join(opts.cacheDir, `tls-ca-${TLS_CACHE_VERSION}`), async (tmp) => {
    await mustRun('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(tmp, 'ca.key'),
      '-out',
      join(tmp, 'ca.crt'),
      '-days',
      '3650',
      '-subj',
      '/O=Homeserver Tray lab/CN=Homeserver Tray lab CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  });
  const caCert = await readFile(join(caDir, 'ca.crt'), 'utf8');

  const sans = [
    isIP(opts.address) ? `IP:${opts.address}` : `DNS:${opts.address}`,
    `DNS:${opts.serverName}`,
    `DNS:matrix.${opts.serverName}`,
  ].join(',');
  const leafId = createHash('sha256').update(`${caCert}\0${sans}`).digest('hex').slice(0, 16);
  const leafDir = await cachedDir(
    join(opts.cacheDir, `tls-leaf-${TLS_CACHE_VERSION}-${leafId}`),
    async (tmp) => {
      const extFile = join(tmp, 'leaf.ext');
      await writeFile(
        extFile,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth',
          `subjectAltName=${sans}`,
          '',
        ].join('\n'),
      );
      await mustRun('openssl', [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(tmp, 'leaf.key'),
        '-out',
        join(tmp, 'leaf.csr'),
        '-subj',
        `/O=Homeserver Tray lab/CN=${opts.serverName}`,
      ]);
      await mustRun('openssl', [
        'x509',
        '-req',
        '-in',
        join(tmp, 'leaf.csr'),
        '-CA',
        join(caDir, 'ca.crt'),
        '-CAkey',
        join(caDir, 'ca.key'),
        '-CAcreateserial',
        '-CAserial',
        join(tmp, 'ca.srl'),
        '-days',
        '825',
        '-extfile',
        extFile,
        '-out',
        join(tmp, 'leaf.crt'),
      ]);
    },
  );

  await mkdir(opts.dir, { recursive: true });
  const caCertPath = join(opts.dir, 'ca.crt');
  await copyFile(join(caDir, 'ca.crt'), caCertPath);
  const [keyPem, certPem] = await Promise.all([
    readFile(join(leafDir, 'leaf.key'), 'utf8'),
    readFile(join(leafDir, 'leaf.crt'), 'utf8'),
  ]);
  return { caCertPath, keyPem, certPem };
}
