import { AppError } from '../errors';

/** An off-host alert channel did not take a message. The sentence names the channel and why. */
export class AlertChannelFailed extends AppError {
  readonly code = 'AlertChannelFailed';
  constructor(
    readonly channelId: string,
    readonly channelName: string,
    readonly reason: string,
    readonly nextStep: string,
  ) {
    super(`The alert channel "${channelName}" could not deliver: ${reason}.`);
  }
}
