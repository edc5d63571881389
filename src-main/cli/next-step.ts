import { type ErrorInfo, type NextStepCode, SECRET_NAMES } from '../core/errors';

/**
 * The command line's words for a next step that happens in a place of the front (core/errors.ts
 * NextStepCode): the command that does it, named the way the user runs the CLI (`cli`: `npm run cli --` in
 * a checkout, `homeserver-tray` when installed). A next step without a code is front-neutral and shown as is.
 */
export function cliNextStep(info: Pick<ErrorInfo, 'nextStep' | 'fix'>, cli: string): string {
  return info.fix ? phrase(info.fix, cli) : info.nextStep;
}

function phrase(fix: NextStepCode, cli: string): string {
  switch (fix.do) {
    case 'store-secret': {
      const host = fix.host ? ` --host ${fix.host}` : '';
      return `Store the ${SECRET_NAMES[fix.kind]}${fix.host ? ` for the ${fix.host} host` : ''} with \`${cli} secret set ${fix.kind}${host}\` (typed without echo, or piped on stdin), then run the command again.`;
    }
    case 'admin-login':
      return `Sign in once as the Matrix admin with \`${cli} admin login\` (only the access token is kept), then run the command again.`;
    case 'check-ssh-login':
      return `Check the ${fix.host} host's user in the profile and that the key is in its authorized_keys; a password or key passphrase goes in with \`${cli} secret set ssh-password --host ${fix.host}\` (or ssh-key-passphrase).`;
    case 'trust-host-key':
      return `Compare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that machine; if it is the same, trust it with \`${cli} hostkey trust ${fix.host}\`.`;
    case 'replace-host-key':
      return `If the machine was reinstalled, verify the new fingerprint on its console; only then run \`${cli} hostkey forget ${fix.host}\` and \`${cli} hostkey trust ${fix.host}\`.`;
    case 'fix-profile':
      return 'Fix the named fields in the profile file, then run the command again.';
    case 'add-profile':
      return `Add one with \`${cli} profile add FILE\` (\`npm run lab\` writes one for the lab), or name a profile file with --profile FILE.`;
    case 'check-status':
      return `Check that matrix-tuwunel is running (\`${cli} status\`), then try again.`;
    case 'list-actions':
      return `List the actions with \`${cli} actions\` and use one of their ids.`;
    case 'retry':
      return 'Run the command again: it connects anew.';
  }
}
