/** The profile's remote path fields: operands of cd, mkdir, tee and docker -v on the hosts. */
export const REMOTE_PATH_FIELDS = [
  'homeserver.dataDir',
  'homeserver.configDir',
  'deploy.dir',
  'deploy.inventory',
  'deploy.vaultPasswordFile',
  'deploy.varsFile',
  'deploy.logDir',
  'vault.deployCheckout',
] as const;
