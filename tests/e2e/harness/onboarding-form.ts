import type { Locator, Page } from 'playwright-core';
import type { ProfileInput } from '../../../src-main/core/profile/schema';

/**
 * The guided first-run form, filled the way a person would: by the labels on screen, step by step. What
 * the guided steps do not ask for is typed into "More settings".
 */

type Where = { group: string; label: string };

const SERVER_STEP: Record<string, string> = {
  serverName: 'Server name',
  publicUrl: 'Public URL',
  name: 'Name',
};

function hostFields(group: 'Homeserver host' | 'Deploy host', role: 'homeserver' | 'deploy') {
  const p = `hosts.${role}`;
  return {
    [`${p}.address`]: { group, label: 'Address' },
    [`${p}.port`]: { group, label: 'Port' },
    [`${p}.user`]: { group, label: 'User' },
    [`${p}.identityFile`]: { group, label: 'Private key file' },
  };
}

const MACHINES_STEP: Record<string, Where> = {
  ...hostFields('Homeserver host', 'homeserver'),
  ...hostFields('Deploy host', 'deploy'),
  'deploy.dir': { group: 'Deploy host', label: 'Playbook folder' },
  'deploy.varsFile': { group: 'Deploy host', label: 'vars.yml' },
};

const MORE: Record<string, Where> = {
  apexUrl: { group: 'Server', label: 'Apex URL' },
  caFile: { group: 'Server', label: 'Extra CA certificate' },
  'homeserver.version': { group: 'Tuwunel', label: 'Version pin' },
  'homeserver.image': { group: 'Tuwunel', label: 'Image' },
  'homeserver.dataDir': { group: 'Tuwunel', label: 'Data directory' },
  'homeserver.configDir': { group: 'Tuwunel', label: 'Config directory' },
  'deploy.inventory': { group: 'Playbook', label: 'Inventory' },
  'deploy.vaultPasswordFile': { group: 'Playbook', label: 'Vault password file' },
  'deploy.logDir': { group: 'Playbook', label: 'Log folder' },
  'vault.repo': { group: 'Vault', label: 'Repository on this computer' },
  'vault.file': { group: 'Vault', label: 'Vault file' },
  'vault.key': { group: 'Vault', label: 'Token key' },
  'vault.deployCheckout': { group: 'Vault', label: 'Checkout on the deploy host' },
  'checks.backup.command': { group: 'Backup check', label: 'Command' },
  knownHostsFile: { group: 'SSH', label: 'known_hosts file' },
};

function valueAt(profile: unknown, path: string): unknown {
  let cur = profile;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A field by its visible label, with or without the "(optional)" the form adds. */
export function labelled(scope: Page | Locator, label: string): Locator {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return scope.getByLabel(new RegExp(`^${escaped}( \\(optional\\))?$`));
}

export function fieldIn(page: Page, where: Where): Locator {
  return labelled(page.getByRole('group', { name: where.group, exact: true }), where.label);
}

async function fillAll(page: Page, profile: ProfileInput, fields: Record<string, Where>): Promise<void> {
  for (const [path, where] of Object.entries(fields)) {
    const value = valueAt(profile, path);
    if (value === undefined) continue;
    await fieldIn(page, where).fill(String(value));
  }
}

/** Step 1: the server's name, its public URL and what the app calls it. */
export async function fillServerStep(page: Page, profile: ProfileInput): Promise<void> {
  for (const [path, label] of Object.entries(SERVER_STEP))
    await labelled(page, label).fill(String(valueAt(profile, path)));
}

/** Step 2: both machines, then everything the profile sets beyond the guided fields. */
export async function fillMachinesStep(page: Page, profile: ProfileInput): Promise<void> {
  await fillAll(page, profile, MACHINES_STEP);
  const sudo = labelled(
    page.getByRole('group', { name: 'Homeserver host', exact: true }),
    'Use sudo for changes',
  );
  await sudo.setChecked(profile.hosts.homeserver.sudo === true);
  if ((await page.locator('details.advanced[open]').count()) === 0)
    await page.locator('details.advanced > summary').click();
  await fillAll(page, profile, MORE);
}
