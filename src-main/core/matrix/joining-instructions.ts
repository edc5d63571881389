import type { Profile } from '../profile/schema';

/**
 * The runbook's "For new users — joining instructions" block for this server. It never holds the
 * registration token: the runbook sends that through a side channel (Signal, in person), not with these.
 */
export function joiningInstructions(profile: Pick<Profile, 'serverName' | 'publicUrl'>): string {
  const server = profile.serverName;
  return `Joining the ${server} Matrix server

  1. Install a Matrix client:
     - Mobile (recommended): Element X — iOS / Android
     - Browser/desktop: open https://app.element.io (no install needed)
  2. Choose "Create account" / "Sign up".
  3. When asked for the homeserver, enter: ${server}
     (if your client asks for a URL instead: ${profile.publicUrl})
  4. Pick a username and password.
  5. When prompted for a registration token, enter the one you were sent separately.
  6. Element will offer to set up a recovery key — accept and save it in a password manager. This lets you verify new devices later without losing encrypted chat history.
  7. Your Matrix ID is @<your-chosen-username>:${server}. Send this back so I can DM you.
`;
}
