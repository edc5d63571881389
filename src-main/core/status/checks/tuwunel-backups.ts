import { posix } from 'node:path';
import { shellCommand } from '../../ssh/quote';
import { clip } from '../text';
import type { Finding } from '../types';

/**
 * Tuwunel's own online backups (`!admin server backup-database`), read straight from the backup folder on
 * the homeserver as part of the status script: no admin-room message every poll (each would stay in the
 * room's history and on every admin's devices), no token, nothing written, and it still answers while
 * Tuwunel is down, which is when a backup matters. The folder is RocksDB's BackupEngine layout
 * (utilities/backup/backup_engine.cc): `meta/<id>` per backup, listing the files under `private/<id>/`
 * and `shared_checksum/` it needs. All files of the newest backup present, with their recorded sizes where
 * the meta file records them, is what `server verify-backup` checks (RocksDB VerifyBackup without
 * checksums; tuwunel docs/maintenance.md at 1.8.2), so this check can say it on every release.
 */

/** The container path the playbook mounts the data folder at (matrix-tuwunel.service.j2). */
export const CONTAINER_DATA_PATH = '/var/lib/tuwunel';

/** Missing or wrong-sized files named in one detail. */
const SHOWN_FILES = 3;

/**
 * The section's bash: a fixed script, the data and config folders its arguments (`$1`, `$2`), so nothing of
 * the profile is ever part of shell code. It reads `database_backup_path` from the rendered tuwunel.toml
 * ([global], a JSON or literal string as the playbook's template writes it), maps it from the container's
 * data path to the host's, and prints facts one a line for the parser; it decides nothing. The path from
 * tuwunel.toml is only ever expanded inside double quotes.
 */
const BACKUPS_SCRIPT = `toml=$2/tuwunel.toml; data=$1
[[ -r $toml ]] || { echo "toml-missing"; exit 0; }
table= value=
while IFS= read -r l || [[ $l ]]; do
  l=\${l%$'\\r'}
  if [[ $l =~ ^[[:space:]]*\\[([^]]*)\\] ]]; then table=\${BASH_REMATCH[1]}; continue; fi
  [[ $table == global && $l =~ ^[[:space:]]*database_backup_path[[:space:]]*=[[:space:]]*(.*)$ ]] && value=\${BASH_REMATCH[1]}
done <"$toml"
[[ $value ]] || { echo "off"; exit 0; }
basic='^"([^"\\\\]*)"[[:space:]]*(#.*)?$' literal="^'([^']*)'[[:space:]]*(#.*)?$"
if [[ $value =~ $basic || $value =~ $literal ]]; then p=\${BASH_REMATCH[1]}
else printf 'unreadable %s\\n' "$value"; exit 0; fi
[[ $p ]] || { echo "off"; exit 0; }
printf 'path %s\\n' "$p"
while [[ $p == */ && $p != / ]]; do p=\${p%/}; done
case $p in ${CONTAINER_DATA_PATH}/*) rel=\${p#${CONTAINER_DATA_PATH}/} ;; *) echo "outside"; exit 0 ;; esac
[[ /$rel/ == */../* || /$rel/ == */./* ]] && { echo "outside"; exit 0; }
dir=$data/$rel
printf 'dir %s\\n' "$dir"
[[ -d $dir/meta ]] || { echo "empty"; exit 0; }
[[ -r $dir/meta && -x $dir/meta ]] || { echo "unreadable-dir"; exit 0; }
newest=
for f in "$dir"/meta/* "$dir"/meta/.*.tmp; do
  [[ -f $f ]] || continue
  n=\${f##*/}
  [[ $n == .*.tmp ]] && { printf 'writing %s\\n' "$n"; continue; }
  [[ $n =~ ^[0-9]+$ ]] || continue
  a= b=; { IFS= read -r a; IFS= read -r b; } <"$f"
  [[ $a == schema_version* ]] && a=$b
  printf 'backup %s %s\\n' "$n" "$a"
  [[ -z $newest ]] || ((10#$n > 10#$newest)) && newest=$n
done
[[ $newest ]] || { echo "empty"; exit 0; }
listed=0 missing=0 sized=() want=() names=() sizefield=' size ([0-9]+) '
while IFS= read -r l || [[ $l ]]; do
  l=\${l%$'\\r'}
  name=\${l%% *}
  if [[ $name != */* ]]; then printf 'header %s\\n' "$l"; continue; fi
  listed=$((listed + 1))
  if [[ ! -f $dir/$name ]]; then missing=$((missing + 1)); ((missing <= ${SHOWN_FILES})) && printf 'missing %s\\n' "$name"; continue; fi
  if [[ " $l " =~ $sizefield ]]; then sized+=("$dir/$name"); want+=("\${BASH_REMATCH[1]}"); names+=("$name"); fi
done <"$dir/meta/$newest"
printf 'newest %s %s %s\\n' "$newest" "$listed" "$missing"
if ((\${#sized[@]})); then
  mapfile -t got < <(stat -c %s -- "\${sized[@]}")
  for i in "\${!sized[@]}"; do [[ \${got[i]} == "\${want[i]}" ]] || printf 'size %s %s %s\\n' "\${names[i]}" "\${want[i]}" "\${got[i]:-?}"; done
fi
`;

/** The command of the section (and of the upgrade's check of its backup): bash with the two folders as arguments. */
export function tuwunelBackupsCommand(dataDir: string, configDir: string): string {
  return shellCommand(
    'bash',
    '--noprofile',
    '--norc',
    '-c',
    BACKUPS_SCRIPT,
    'tuwunel-backups',
    dataDir,
    configDir,
  );
}

export const TUWUNEL_BACKUPS_CHECK = {
  id: 'backup:tuwunel',
  group: 'backup',
  title: 'Tuwunel backups',
} as const;

interface Facts {
  state: string;
  raw?: string;
  path?: string;
  dir?: string;
  backups: { id: number; time: number }[];
  writing: string[];
  header: string[];
  newest?: { id: number; listed: number; missing: number };
  missingFiles: string[];
  wrongSizes: { name: string; want: string; got: string }[];
}

const STATES = new Set(['toml-missing', 'off', 'outside', 'empty', 'unreadable-dir']);

function readFacts(output: string): Facts {
  const f: Facts = {
    state: 'listed',
    backups: [],
    writing: [],
    header: [],
    missingFiles: [],
    wrongSizes: [],
  };
  for (const line of output.split('\n')) {
    const sp = line.indexOf(' ');
    const word = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    if (STATES.has(word) && rest === '') f.state = word;
    else if (word === 'unreadable') {
      f.state = 'unreadable';
      f.raw = rest;
    } else if (word === 'path') f.path = rest;
    else if (word === 'dir') f.dir = rest;
    else if (word === 'writing') f.writing.push(rest);
    else if (word === 'header') f.header.push(rest);
    else if (word === 'missing') f.missingFiles.push(rest);
    else if (word === 'backup') {
      const m = /^(\d{1,9}) (\d{1,12})$/.exec(rest);
      if (m) f.backups.push({ id: Number(m[1]), time: Number(m[2]) });
    } else if (word === 'newest') {
      const m = /^(\d{1,9}) (\d{1,9}) (\d{1,9})$/.exec(rest);
      if (m) f.newest = { id: Number(m[1]), listed: Number(m[2]), missing: Number(m[3]) };
    } else if (word === 'size') {
      const [name = '', want = '', got = ''] = rest.split(' ');
      f.wrongSizes.push({ name, want, got });
    }
  }
  return f;
}

/**
 * The number of files the meta file declares: the first all-digit line after the timestamp and the
 * sequence number (schema 1 and 2 alike; a `metadata` or other field line may come between).
 */
function declaredFiles(header: string[]): number | null {
  const rest = (header[0]?.startsWith('schema_version') ? header.slice(1) : header).slice(2);
  const line = rest.find((l) => /^\d+$/.test(l));
  return line === undefined ? null : Number(line);
}

function stamp(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

function age(ms: number): string {
  if (ms < 3_600_000) return `${Math.max(1, Math.round(ms / 60_000))} min`;
  const h = ms / 3_600_000;
  if (h < 48) return h < 10 ? `${h.toFixed(1)} h` : `${Math.round(h)} h`;
  return `${Math.round(h / 24)} days`;
}

const SET_PATH = `set matrix_tuwunel_config_database_backup_path in vars.yml to a folder under ${CONTAINER_DATA_PATH} (e.g. ${CONTAINER_DATA_PATH}/backups) and apply the configuration`;

export function tuwunelBackupsFinding(output: string, configDir: string, nowMs: number): Finding {
  const base = { ...TUWUNEL_BACKUPS_CHECK, units: [] };
  const f = readFacts(output);
  const where = f.dir ? clip(f.dir, 120) : '';
  switch (f.state) {
    case 'toml-missing':
      return {
        ...base,
        level: 'unknown',
        detail: `${posix.join(configDir, 'tuwunel.toml')} cannot be read on the homeserver; check homeserver.configDir in the profile.`,
      };
    case 'off':
      return {
        ...base,
        level: 'ok',
        detail: `Tuwunel’s own backups are off (no database_backup_path in tuwunel.toml); to take one before an upgrade, ${SET_PATH}.`,
      };
    case 'unreadable':
      return {
        ...base,
        level: 'unknown',
        detail: `database_backup_path in tuwunel.toml is ${clip(f.raw ?? '', 80)}, which the app does not read; write it as a plain quoted path.`,
      };
    case 'outside':
      return {
        ...base,
        level: 'warn',
        detail: `database_backup_path ${clip(f.path ?? '', 80)} is not a folder under ${CONTAINER_DATA_PATH}, the container’s only writable mount, so every backup fails ("Read-only file system"); ${SET_PATH}.`,
      };
    case 'unreadable-dir':
      return {
        ...base,
        level: 'unknown',
        detail: `${where}/meta cannot be read by the status script; give the homeserver host sudo: true in the profile.`,
      };
    case 'empty':
      return {
        ...base,
        level: 'warn',
        detail: `There is no Tuwunel backup in ${where} yet; run "Back up now".`,
      };
  }
  const newest = f.newest;
  const meta = f.backups.find((b) => b.id === newest?.id);
  if (!newest || !meta) {
    return {
      ...base,
      level: 'unknown',
      detail: `The backup folder ${where} could not be read to its end; run the status again, or look at ${where}/meta on the homeserver.`,
    };
  }
  const name = `#${newest.id} (${stamp(meta.time)} UTC)`;
  const declared = declaredFiles(f.header);
  const damaged: string[] = [];
  if (newest.missing > 0) {
    const shown = f.missingFiles.slice(0, SHOWN_FILES).map((m) => clip(m, 80));
    damaged.push(
      `${newest.missing} of its ${newest.listed} files ${newest.missing === 1 ? 'is' : 'are'} missing (${shown.join(', ')}${newest.missing > shown.length ? ', …' : ''})`,
    );
  }
  if (f.wrongSizes.length > 0) {
    damaged.push(
      `${f.wrongSizes.length} file${f.wrongSizes.length === 1 ? ' has' : 's have'} another size than recorded (${f.wrongSizes
        .slice(0, SHOWN_FILES)
        .map((w) => `${clip(w.name, 80)}: ${w.got} bytes, not ${w.want}`)
        .join(', ')})`,
    );
  }
  if (declared !== null && declared !== newest.listed)
    damaged.push(`its meta file lists ${newest.listed} of the ${declared} files it declares`);
  if (damaged.length > 0) {
    return {
      ...base,
      level: 'fail',
      detail: `The newest Tuwunel backup ${name} in ${where} is damaged: ${damaged.join('; ')}; do not restore it, run "Back up now" and find out what changed the folder.`,
    };
  }
  const writing = f.writing.length > 0 ? ' A backup is being written now.' : '';
  return {
    ...base,
    level: 'ok',
    detail: `${f.backups.length} backup${f.backups.length === 1 ? '' : 's'} in ${where}; the newest, ${name}, is ${age(Math.max(0, nowMs - meta.time * 1000))} old and has all ${newest.listed} files (what verify-backup checks).${writing}`,
  };
}
