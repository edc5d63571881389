import { MIGRATION_EXPECTED_VERSION } from './playbook-files';

/**
 * The deploy host's own, untracked inventory for the lab playbook (as upstream, `/inventory` is ignored by
 * git) and the Tuwunel files the playbook renders from it.
 */

export interface InventoryOptions {
  serverName: string;
  /** The version vars.yml pins (matrix_tuwunel_version). */
  tuwunelVersion: string;
  /** Whether vars.yml routes the Synapse admin API to Tuwunel (the container label variable). */
  synapseAdminApiRouted: boolean;
  homeserverDir: string;
  tuwunelConfigDir: string;
  playbookSeconds: number;
  /** matrix_tuwunel_config_auto_join_rooms, when set. */
  autoJoinRooms?: readonly string[];
  /** matrix_tuwunel_config_database_backup_path (a path inside the container), when set. */
  databaseBackupPath?: string;
}

/** The inventory's name for the homeserver VM, as in the runbook (matrix.<server name>). */
export function inventoryHostName(serverName: string): string {
  return `matrix.${serverName}`;
}

/** The federation allowlist the runbook keeps, with the lab's own server name first. */
export function allowedRemoteServerNames(serverName: string): string[] {
  return [serverName, 'matrix.org', 'chat.dacool.zone'];
}

export const LEGACY_MEDIA_ENVIRONMENT = 'TUWUNEL_ALLOW_LEGACY_MEDIA=true\n';

function iniValue(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function inventoryHosts(opts: InventoryOptions): string {
  return [
    '# The lab reaches the "VM" by running its stand-ins on this host (ansible_connection=local) with',
    '# LAB_HOST_DIR pointing at the homeserver folder; on a real deploy host this line names the VM over SSH.',
    '[matrix_servers]',
    [
      inventoryHostName(opts.serverName),
      'ansible_connection=local',
      'ansible_python_interpreter=/usr/bin/python3',
      'ansible_become=false',
      `lab_homeserver_dir=${iniValue(opts.homeserverDir)}`,
      `lab_playbook_seconds=${opts.playbookSeconds}`,
      `matrix_tuwunel_config_path=${iniValue(opts.tuwunelConfigDir)}`,
    ].join(' '),
    '',
  ].join('\n');
}

function flowList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}

/** inventory/host_vars/<host>/vars.yml, shaped like the runbook's (comments included: apps must keep them). */
export function varsYml(opts: InventoryOptions): string {
  return `---
# The bare domain name which represents your Matrix identity.
# Matrix user IDs for your server will be of the form @alice:${opts.serverName}.
# Note: this playbook does not touch the server referenced here.
matrix_domain: ${opts.serverName}

# The Matrix homeserver software to install.
matrix_homeserver_implementation: tuwunel

# Pinned on purpose: read the runbook's Lessons appendix before bumping.
matrix_tuwunel_version: v${opts.tuwunelVersion}

# The playbook's breaking changes this setup has been checked against (see its CHANGELOG).
matrix_playbook_migration_validated_version: ${MIGRATION_EXPECTED_VERSION}

# A secret used as a base for generating various other secrets.
matrix_homeserver_generic_secret_key: 'd5c1e37a0b7f4e0f9a4c2b8e6f1d3a7c'

# The edge Caddy terminates TLS and forwards to Traefik's web entrypoint on :81.
matrix_playbook_reverse_proxy_type: playbook-managed-traefik
traefik_config_entrypoint_web_secure_enabled: false
traefik_container_web_host_bind_port: '0.0.0.0:81'
traefik_config_entrypoint_web_forwardedHeaders_insecure: true

postgres_connection_password: 'lab-postgres-password-5b2e'

# Closed membership: registration only with a token (kept in the homelab-ansible vault).
matrix_tuwunel_config_allow_registration: true
matrix_tuwunel_config_registration_token: "{{ vault_matrix_registration_token }}"

# Federation in allowlist mode. Entries are regexes matched UNANCHORED.
# MUST keep ${opts.serverName} in the list: the allowlist applies to local senders too (Lessons #1).
matrix_tuwunel_config_allowed_remote_server_names: ${flowList(allowedRemoteServerNames(opts.serverName))}

${
  opts.autoJoinRooms && opts.autoJoinRooms.length > 0
    ? `# New accounts join these rooms on registration (rooms anyone on the server may join).
matrix_tuwunel_config_auto_join_rooms: ${flowList(opts.autoJoinRooms)}

`
    : ''
}${
  opts.databaseBackupPath
    ? `# Online backups (!admin server backup-database). A path inside the container: under the data path
# (/var/lib/tuwunel), the only writable mount of its read-only root.
matrix_tuwunel_config_database_backup_path: ${opts.databaseBackupPath}

`
    : ''
}# Element Web falls back to the legacy media endpoints when its service worker fails (Lessons #9).
matrix_tuwunel_environment_variables_extension: |
  ${LEGACY_MEDIA_ENVIRONMENT.trimEnd()}

${
  opts.synapseAdminApiRouted
    ? `# Serve Tuwunel's Synapse-compatible admin API (/_synapse/admin), as admin tools need it (Tuwunel >= 1.8.1).
matrix_tuwunel_container_labels_public_client_synapse_admin_api_enabled: true

`
    : ''
}# MatrixRTC (Element Call): LiveKit SFU + JWT service.
matrix_rtc_enabled: true
livekit_server_config_rtc_use_external_ip: true
`;
}

/** What Jinja's to_json (Python json.dumps defaults) prints for a string: non-ASCII escaped. */
function pyJsonString(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function pyJsonList(items: readonly string[]): string {
  return `[${items.map(pyJsonString).join(', ')}]`;
}

/** The container labels the playbook's labels.j2 renders for the lab inventory. */
export function renderedLabels(opts: { serverName: string; synapseAdminApiRouted: boolean }): string {
  const host = inventoryHostName(opts.serverName);
  return [
    'traefik.enable=true',
    'traefik.http.services.matrix-tuwunel.loadbalancer.server.port=6167',
    `traefik.http.routers.matrix-tuwunel-public-tuwunel-api.rule=Host(\`${host}\`) && PathPrefix(\`/_tuwunel\`)`,
    'traefik.http.routers.matrix-tuwunel-public-tuwunel-api.service=matrix-tuwunel',
    ...(opts.synapseAdminApiRouted
      ? [
          `traefik.http.routers.matrix-tuwunel-public-client-synapse-admin-api.rule=Host(\`${host}\`) && PathPrefix(\`/_synapse/admin\`)`,
          'traefik.http.routers.matrix-tuwunel-public-client-synapse-admin-api.service=matrix-tuwunel',
        ]
      : []),
    '',
  ].join('\n');
}

/**
 * tuwunel.toml as the playbook's template renders it for the lab inventory, so a fresh lab looks as if the
 * last `install-all` already ran (a test checks that the real playbook then reports the file unchanged).
 */
export function renderedTuwunelToml(opts: {
  serverName: string;
  registrationToken: string;
  autoJoinRooms?: readonly string[];
  databaseBackupPath?: string;
}): string {
  const autoJoin =
    opts.autoJoinRooms && opts.autoJoinRooms.length > 0
      ? `auto_join_rooms = ${pyJsonList(opts.autoJoinRooms)}\n`
      : '';
  const backups = opts.databaseBackupPath
    ? `database_backup_path = ${pyJsonString(opts.databaseBackupPath)}\ndatabase_backups_to_keep = 1\n`
    : '';
  return `### Tuwunel configuration, rendered by the playbook (custom/matrix-tuwunel).
### Edits here are overwritten on the next run: change the inventory's vars.yml instead.

[global]
server_name = ${pyJsonString(opts.serverName)}
address = "0.0.0.0"
port = 6167
database_path = "/var/lib/tuwunel"

new_user_displayname_suffix = ""

allow_registration = true
${opts.registrationToken.length > 0 ? `registration_token = ${pyJsonString(opts.registrationToken)}\n` : ''}${autoJoin}
allow_federation = true
trusted_servers = ${pyJsonList(['matrix.org'])}
allowed_remote_server_names_experimental = ${pyJsonList(allowedRemoteServerNames(opts.serverName))}
${backups}
grant_admin_to_first_user = true
log = "info,state_res=warn"
`;
}
