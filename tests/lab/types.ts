import type { ProfileInput } from '../../src-main/core/profile/schema';
import type { PbsLabSnapshot } from './deploy/pbs/setup-pbs';
import type { LabMatrixClient } from './matrix-client';

/**
 * The Tuwunel releases the lab plays, each answering as its tag's source does (see README "The lab per
 * version"): every tag from 1.7.0 to 1.9.0.
 */
export const TUWUNEL_VERSIONS = ['1.7.0', '1.7.1', '1.8.0', '1.8.1', '1.8.2', '1.8.3', '1.9.0'] as const;

/** One event of the admin room as `<lab dir>/homeserver/admin-room.jsonl` holds it. */
export interface AdminRoomLogEvent {
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/** The lab: a homeserver VM and a deploy host made of real parts on loopback. See README "Try it against the lab". */
export interface LabOptions {
  /** Folder for everything the lab writes; a fresh temp folder when absent. */
  dir?: string;
  /**
   * The Tuwunel release the homeserver runs and vars.yml pins, one of TUWUNEL_VERSIONS (a leading v is fine).
   * Commands, replies, endpoints and the image answer as that tag. Default '1.7.0' (the runbook's).
   */
  tuwunelVersion?: string;
  /** The version the playbook checkout's Tuwunel role defaults to. Default tuwunelVersion. */
  playbookTuwunelVersion?: string;
  /** vars.yml routes /_synapse/admin to Tuwunel (the label variable). Default true. */
  synapseAdminApiRouted?: boolean;
  /** Seconds after a Tuwunel (≥ 1.8.2) container starts until `docker ps` shows it (healthy). Default 30. */
  healthCheckSeconds?: number;
  /** Password the sudo stand-in accepts on `-S`. Default 'lab-sudo-password'. */
  sudoPassword?: string;
  /** ansible-vault password (also written to the deploy host's vaultPasswordFile). Default 'lab-vault-password'. */
  vaultPassword?: string;
  /** Registration token in the vault at start. Default 64 hex chars, random. */
  registrationToken?: string;
  /** Access token the admin API / admin room accept as the admin user's. Default random. */
  adminAccessToken?: string;
  /** Seconds one ansible-playbook run takes (a pause). Default 0.2. */
  playbookSeconds?: number;
  /** Write both hosts' keys into the profile's known_hosts. Default true; false for trust-on-first-use tests. */
  trustHostKeys?: boolean;
  /** Reach the homeserver through the deploy host (profile `jump: deploy`). Default false. */
  jumpThroughDeploy?: boolean;
  /** Start gnome-keyring in a private D-Bus session. Default true. */
  keyring?: boolean;
  /** Seconds between the lines a running container adds to its journal (what `journalctl -f` shows). Default 15. */
  journalIntervalSeconds?: number;
  /**
   * How long the one-time migration of a release takes when it first opens an older database (the service's
   * start, or a one-off container): '1.8.0' the timestamp index, '1.9.0' the repair scans (which 1.9.0 runs
   * first). While the service migrates, its unit is active but /_tuwunel/server_version and every other
   * endpoint answer 502 and Docker's health check fails. Default 0 (the lines are still logged).
   */
  migrationSeconds?: Partial<Record<'1.8.0' | '1.9.0', number>>;
  /**
   * Extra local users, cheaply made (`@member0001:lab.test` …, each with a password and one device seen
   * over the last weeks): a server with a thousand people for `users list-users` (an m.file from 1.8.2 once
   * the reply passes ~54 KB, about 1,500 users) and the admin API's paging. Default 0.
   */
  seedUsers?: number;
  /** `matrix_tuwunel_config_auto_join_rooms` in vars.yml and the running config, e.g. ['#family:lab.test']. */
  autoJoinRooms?: string[];
  /**
   * `matrix_tuwunel_config_database_backup_path` in vars.yml and the running config (a container path; only
   * one under /var/lib/tuwunel is writable). Default: not set, as the playbook's default.
   */
  databaseBackupPath?: string;
  /**
   * The playbook's upstream remote is one commit ahead of the deploy host's checkout: a release whose Tuwunel
   * role defaults name this version, so `git pull` (deploy.update) brings a newer `matrix_tuwunel_version`.
   */
  playbookUpstreamTuwunelVersion?: string;
  /**
   * The profile checks the lab's Proxmox Backup Server (checks.pbs: the deploy host's `proxmox-backup-client`
   * with the API token's secret in a file and the server's fingerprint). The stand-in and its snapshots are
   * there either way. Default false.
   */
  pbs?: boolean;
}

/** A server notice as `<lab dir>/homeserver/server-notices.jsonl` records it (send_server_notice, 1.8.2). */
export interface ServerNoticeLogEntry {
  user_id: string;
  room_id: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

/** An invite into a room through the client API (`POST /rooms/{roomId}/invite`), as the lab recorded it. */
export interface RoomInviteLogEntry {
  room_id: string;
  sender: string;
  user_id: string;
  at: number;
}

export type LabHostRole = 'homeserver' | 'deploy';

export interface LabHost {
  role: LabHostRole;
  address: string;
  port: number;
  /** This host's own folder: state/, bin/, exec.log, host keys. */
  dir: string;
  /** The host key currently served, e.g. 'ssh-ed25519'. */
  keyType: string;
  /** 'SHA256:…' as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The OpenSSH known_hosts line for the current key (`[addr]:port type base64`). */
  knownHostsLine: string;
  /** Exact command lines the sshd was asked to run, oldest first. */
  execLog(): string[];
  /** Generates a new host key and makes the sshd serve it; updates keyType/fingerprint/knownHostsLine. */
  rotateHostKey(): Promise<void>;
  /** Runs a command in this host's environment (its PATH and state) without ssh, for test assertions. */
  sh(command: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export interface LabFaults {
  /** The next (or every, when `times` is absent) invocation of a stand-in command whose command line matches `pattern` (a bash glob, e.g. 'docker run*') hangs until killed. */
  hang(host: LabHostRole, pattern: string, times?: number): void;
  /** …exits with `code` (after printing `stderr`, if given) instead of doing its work. */
  exit(host: LabHostRole, pattern: string, code: number, stderr?: string, times?: number): void;
  /** …kills the SSH connection it runs in (the client sees the connection drop mid-command). */
  cut(host: LabHostRole, pattern: string, times?: number): void;
  /** Every command on this host starts after `ms` of delay. 0 removes it. */
  latency(host: LabHostRole, ms: number): void;
  /**
   * The homeserver's Tuwunel `version` (e.g. '1.9.0') fails once started, every time the matrix-tuwunel
   * service starts with it: its migrations run (and leave their markers), "Services startup complete.", then
   * "Critical error running server: <message>" (default: the listener's "I/O error: Address already in use
   * (os error 98)") and the unit fails. One-off containers in maintenance mode (no listener) still run, so a
   * backup can be restored with that image. For upgrades whose rollback must be exercised.
   */
  tuwunelStartFails(version: string, message?: string): void;
  /** Removes every fault (of one host, or all). */
  clear(host?: LabHostRole): void;
}

export interface LabSecrets {
  sudoPassword: string;
  vaultPassword: string;
  registrationToken: string;
  adminAccessToken: string;
  /** The Matrix admin user's password (m.login.password) and ID. */
  adminPassword: string;
  adminUserId: string;
}

export interface Lab {
  dir: string;
  /** The profile pointing at this lab (also written to `profilePath` as YAML). */
  profile: ProfileInput;
  profilePath: string;
  /** Private key the profile logs in with (no passphrase) and one protected by `keyPassphrase`. */
  clientKeyPath: string;
  passphraseKeyPath: string;
  keyPassphrase: string;
  knownHostsPath: string;
  /** The lab CA (PEM) the profile's caFile names. */
  caCertPath: string;
  /**
   * Environment a client needs: DBUS_SESSION_BUS_ADDRESS (when the keyring runs), LAB_DIR. Also written to
   * `<dir>/env`. It does not hold `processMarker`: what a shell that sourced it runs is not the lab's.
   */
  env: Record<string, string>;
  /**
   * `HOMESERVER_TRAY_LAB_OWNER=<id>`: the environment entry every process this lab starts carries (sshd and
   * what its sessions run, the keyring, the admin room's commands). stop() ends the processes that carry it.
   */
  processMarker: string;
  hosts: Record<LabHostRole, LabHost>;
  http: {
    apexUrl: string;
    publicUrl: string;
    /** Make the running homeserver another release at once (no playbook run), e.g. to play 1.9.0. */
    setTuwunelVersion(version: string): Promise<void>;
  };
  /** `<dir>/homeserver/admin-room.jsonl`: every event of the admin room, one JSON object a line. */
  adminRoomLogPath: string;
  /** The admin room's events so far, oldest first. */
  adminRoomLog(): AdminRoomLogEvent[];
  /** Server notices sent so far (the admin API's send_server_notice), oldest first. */
  serverNotices(): ServerNoticeLogEntry[];
  /** Invites into rooms sent through the client API so far, oldest first. */
  roomInvites(): RoomInviteLogEntry[];
  /** A Matrix client of the homeserver (registration with a token, password login), over HTTPS with the lab CA. */
  client: LabMatrixClient;
  /** Pushes a playbook release whose Tuwunel role defaults name `version` to the checkout's upstream. */
  publishPlaybookRelease(version: string): Promise<void>;
  secrets: LabSecrets;
  /** Paths of the git repositories. */
  repos: {
    /** The workstation's vault repo (profile vault.repo). */
    vaultWorkstation: string;
    /** Its bare remote. */
    vaultRemote: string;
    /** The deploy host's clone of the vault repo (profile vault.deployCheckout). */
    vaultDeploy: string;
    /** The deploy host's playbook checkout (profile deploy.dir). */
    playbook: string;
  };
  faults: LabFaults;
  /** The homeserver's state as the stand-ins keep it. */
  state: {
    unitActive(unit: string): Promise<boolean>;
    /** Changes a unit behind the app's back (as if it crashed or someone ran systemctl). */
    setUnitActive(unit: string, active: boolean): Promise<void>;
    /** Like setUnitActive, also to 'failed' (journal: "Main process exited …", docker: "Exited (1)"). */
    setUnitState(unit: string, state: 'active' | 'inactive' | 'failed'): Promise<void>;
    /** Percentage the df stand-in reports for the Tuwunel data dir. */
    setDiskPercent(percent: number): Promise<void>;
    /** Bytes df reports free there instead (Use% follows, as df rounds it); undefined: the percentage again. */
    setDiskFree(bytes: number | undefined): Promise<void>;
    /** Users the Tuwunel stand-in knows, with admin / deactivated flags. */
    users(): Promise<{ userId: string; admin: boolean; deactivated: boolean }[]>;
    /** The one-time migrations the database has been through (their markers), e.g. after a restore. */
    migrations(): Promise<string[]>;
  };
  /**
   * The Proxmox Backup Server the deploy host's `proxmox-backup-client` stand-in answers for: the runbook's
   * VM 111 backed up nightly at 02:00 UTC for three nights (the older two verified), and the deploy CT.
   */
  pbs: {
    repository: string;
    group: string;
    fingerprint: string;
    /** The API token's secret on the deploy host (PBS_PASSWORD_FILE). */
    passwordFile: string;
    snapshots(): Promise<PbsLabSnapshot[]>;
    setSnapshots(snapshots: PbsLabSnapshot[]): Promise<void>;
  };
  /** Stops every process the lab started and removes nothing (the dir stays for inspection unless it was a temp dir). */
  stop(): Promise<void>;
}
