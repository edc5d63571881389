import type { HostRole, Profile } from '../profile/schema';

/** How confirmations and alerts name a host: its role and its address. */
export const hostLabel = (profile: Profile, role: HostRole) =>
  `the ${role} host (${profile.hosts[role].address})`;
