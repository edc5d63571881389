import { z } from 'zod';
import { hostRole } from '../../app/views/common-schema';
import { hostTest } from '../../app/views/profile-schema';
import { call } from './call';

export const onboardingInvoke = {
  /** Connect to one host of the selected profile; HostKeyUnknown comes back as an error with `hostKey`. */
  'onboarding.testHost': call(z.object({ host: hostRole }).strict(), hostTest),
} as const;
