import { AppError } from '../errors';

/** The domain's registration expiry could not be read through RDAP. */
export class RdapLookupFailed extends AppError {
  readonly code = 'RdapLookupFailed';
  constructor(
    reason: string,
    readonly nextStep: string,
  ) {
    super(`The domain's registration expiry could not be read: ${reason}.`);
  }
}
