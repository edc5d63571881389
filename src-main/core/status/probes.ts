import type { Profile } from '../profile/schema';
import { roleDefaultsPath, versionsCommand } from '../upgrade/playbook-versions';
import { HOST_ROLES, type HostRole } from '../vocab';
import { backupFinding } from './checks/backup';
import { CONFIG_CHECKS, configFindings, varsCommand, varsFilePath } from './checks/config-lint';
import { containerFindings, containersCommand, imageFinding } from './checks/containers';
import { diskCommand, diskFinding } from './checks/disk';
import { PBS_CHECK, pbsCommand, pbsFinding } from './checks/pbs';
import {
  TUWUNEL_BACKUPS_CHECK,
  tuwunelBackupsCommand,
  tuwunelBackupsFinding,
} from './checks/tuwunel-backups';
import { releaseFindingFromOutput, TUWUNEL_RELEASE_CHECK } from './checks/tuwunel-release';
import { unitFindings, unitsCommand } from './checks/units';
import { guarded, type Skeleton } from './guard';
import { type ScriptSection, type SectionOutput, sectionFailureReason } from './remote-script';
import type { Finding } from './types';

/** One section of a host's script and how its output becomes findings. */
export interface Probe {
  section: ScriptSection;
  /** How the admin would name the command in a sentence. */
  label: string;
  /** The findings this probe always yields, so a failed command still shows every badge (as unknown). */
  skeletons: Skeleton[];
  parse(stdout: string, nowMs: number): Finding[];
}

export interface HostPlan {
  host: HostRole;
  probes: Probe[];
}

const LINT_SKELETONS: Skeleton[] = CONFIG_CHECKS.map(([id, title]) => ({
  id,
  title,
  group: 'config',
  units: [],
}));

/** What each host runs per poll, from the profile alone (so it is the same every poll and easy to test). */
export function planHosts(profile: Profile): HostPlan[] {
  const units = profile.units;
  const tuwunel = units.includes('matrix-tuwunel') ? 'matrix-tuwunel' : undefined;
  const probes: Record<HostRole, Probe[]> = { homeserver: [], deploy: [] };

  probes.homeserver.push(
    {
      section: { id: 'units', command: unitsCommand(units), timeoutSeconds: 10 },
      label: 'systemctl show',
      skeletons: units.map((u) => ({ id: `unit:${u}`, group: u, title: `${u} unit`, units: [u] })),
      parse: (out) => unitFindings(units, out),
    },
    {
      section: { id: 'containers', command: containersCommand(), timeoutSeconds: 15 },
      label: 'docker ps',
      skeletons: [
        ...units.map((u) => ({ id: `container:${u}`, group: u, title: `${u} container`, units: [u] })),
        ...(tuwunel
          ? [{ id: 'image:tuwunel', group: tuwunel, title: 'Tuwunel image', units: [tuwunel] }]
          : []),
      ],
      parse: (out) => [
        ...containerFindings(units, out),
        ...(tuwunel ? [imageFinding(out, profile.homeserver, tuwunel)] : []),
      ],
    },
    {
      section: { id: 'disk', command: diskCommand(profile.homeserver.dataDir), timeoutSeconds: 10 },
      label: `df -P ${profile.homeserver.dataDir}`,
      skeletons: [
        { id: 'disk:tuwunel-data', group: tuwunel ?? 'disk', title: 'RocksDB disk space', units: [] },
      ],
      parse: (out) => [
        diskFinding(
          profile.homeserver.dataDir,
          out,
          { warnPercent: profile.checks.diskWarnPercent, failPercent: profile.checks.diskFailPercent },
          tuwunel ?? 'disk',
        ),
      ],
    },
  );

  if (tuwunel) {
    const { dataDir, configDir } = profile.homeserver;
    probes.homeserver.push({
      section: {
        id: 'tuwunel-backups',
        command: tuwunelBackupsCommand(dataDir, configDir),
        timeoutSeconds: 15,
      },
      label: `the listing of Tuwunel's backup folder (database_backup_path in ${configDir}/tuwunel.toml)`,
      skeletons: [{ ...TUWUNEL_BACKUPS_CHECK, units: [] }],
      parse: (out, nowMs) => [tuwunelBackupsFinding(out, configDir, nowMs)],
    });
  }

  const varsPath = varsFilePath(profile.deploy.dir, profile.deploy.varsFile);
  // vars.yml seldom changes between polls, and parsing it is most of a poll's work on the workstation:
  // the findings of the last text seen are reused while the text stays the same.
  let linted: { text: string; findings: Finding[] } | undefined;
  probes[profile.deploy.host].push({
    section: { id: 'vars', command: varsCommand(varsPath), timeoutSeconds: 10 },
    label: `cat ${varsPath}`,
    skeletons: LINT_SKELETONS,
    parse: (out) => {
      if (linted?.text !== out) {
        const opts = { serverName: profile.serverName, pin: profile.homeserver.version, path: varsPath };
        linted = { text: out, findings: configFindings(out, opts) };
      }
      return linted.findings;
    },
  });

  // The release the pulled playbook would deploy, beside the pin: only the one key of each file is read.
  const versionFiles = { roleDefaults: roleDefaultsPath(profile.deploy.dir), vars: varsPath };
  // With the playbook's other settings on the dashboard: it is about the deploy checkout, not the running unit.
  const releaseGroup = 'config';
  probes[profile.deploy.host].push({
    section: { id: 'tuwunel-release', command: versionsCommand(versionFiles), timeoutSeconds: 10 },
    label: `awk over ${versionFiles.roleDefaults} and vars.yml`,
    skeletons: [{ ...TUWUNEL_RELEASE_CHECK, group: releaseGroup, units: [] }],
    parse: (out) => [releaseFindingFromOutput(out, versionFiles, profile.homeserver.version, releaseGroup)],
  });

  const pbs = profile.checks.pbs;
  if (pbs) {
    probes[pbs.host].push({
      section: { id: 'pbs', command: pbsCommand(pbs), timeoutSeconds: 30 },
      label: `proxmox-backup-client snapshot list ${pbs.group}`,
      skeletons: [{ ...PBS_CHECK, units: [] }],
      parse: (out, nowMs) => [pbsFinding(out, pbs, nowMs)],
    });
  }

  const backup = profile.checks.backup;
  if (backup) {
    probes[backup.host].push({
      section: { id: 'backup', command: backup.command, shell: true, timeoutSeconds: 30 },
      label: 'the backup probe (checks.backup.command)',
      skeletons: [{ id: 'backup:age', group: 'backup', title: 'Newest backup', units: [] }],
      parse: (out, nowMs) => [backupFinding(out, backup.maxAgeHours, nowMs)],
    });
  }

  return HOST_ROLES.filter((h) => probes[h].length > 0).map((host) => ({ host, probes: probes[host] }));
}

/**
 * Findings of one host's poll: parsed sections, and `unknown` with the reason for sections that did not
 * run cleanly. A parser that throws on what its command printed fails its own checks, not the host's.
 */
export function interpretHost(
  plan: HostPlan,
  sections: Map<string, SectionOutput>,
  nowMs: number,
): Finding[] {
  const findings: Finding[] = [];
  for (const probe of plan.probes) {
    const out = sections.get(probe.section.id);
    if (out?.ran && out.exitCode === 0) {
      const source = `${probe.label} on the ${plan.host} host`;
      findings.push(...guarded(probe.skeletons, source, () => probe.parse(out.stdout, nowMs)));
      continue;
    }
    const reason = out ? sectionFailureReason(out) : 'its output is missing';
    for (const s of probe.skeletons) {
      findings.push({
        ...s,
        level: 'unknown',
        detail: `The ${plan.host} host could not run ${probe.label}: ${reason}; run it there by hand to see why.`,
      });
    }
  }
  return findings;
}
