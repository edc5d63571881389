/**
 * The integration files that load keytar in the test process itself (through the core's keychain store, the
 * in-process command line or the app session). libsecret keeps the first D-Bus session a process connects to,
 * and each lab starts its own keyring on a private bus, so each of these files needs a process of its own
 * (vitest.config.ts: the `integration-keychain` project). Every other integration file shares its worker's
 * modules with the next file (`integration`). tests/support/keychain-guard.ts fails a file that is on the
 * wrong side of this list.
 */
export const KEYCHAIN_FILES = [
  'tests/integration/alerts/off-host-alerts.test.ts',
  'tests/integration/cli/cli-hostkey.test.ts',
  'tests/integration/cli/cli-lab.test.ts',
  'tests/integration/cli/cli-status-all.test.ts',
  'tests/integration/cli/cli-upgrade-rollback.test.ts',
  'tests/integration/cli/cli-upgrade.test.ts',
  'tests/integration/cli/cli-whatsnew.test.ts',
  'tests/integration/ipc/router-lab.test.ts',
  'tests/integration/ipc/router-two-labs.test.ts',
  'tests/integration/leak-canary.test.ts',
  'tests/integration/people/people-cli-1.7.0.test.ts',
  'tests/integration/people/people-cli.test.ts',
  'tests/integration/reliability/cross-process.test.ts',
  'tests/integration/reliability/fault-matrix-deploy.test.ts',
  'tests/integration/reliability/fault-matrix-federation-token.test.ts',
  'tests/integration/reliability/fault-matrix-homeserver.test.ts',
  'tests/integration/reliability/fault-matrix-upgrade.test.ts',
  'tests/integration/reliability/hostile-params.test.ts',
  'tests/integration/reliability/rotation-race.test.ts',
  'tests/integration/runbook/backup-lab-1.7.test.ts',
  'tests/integration/runbook/backup-lab.test.ts',
  'tests/integration/runbook/deploy-actions-1.7.0.test.ts',
  'tests/integration/runbook/deploy-actions-1.9.0.test.ts',
  'tests/integration/runbook/homeserver-actions-1.7.0.test.ts',
  'tests/integration/runbook/homeserver-actions-1.9.0.test.ts',
  'tests/integration/runbook/planned-stops-lab.test.ts',
  'tests/integration/secrets/identity-lab.test.ts',
  'tests/integration/secrets/keytar-store.test.ts',
  'tests/integration/token/invites-lab-1.7.0.test.ts',
  'tests/integration/token/invites-lab-1.9.0.test.ts',
  'tests/integration/token/rotation-kill.test.ts',
  'tests/integration/token/rotation-lab.test.ts',
];
