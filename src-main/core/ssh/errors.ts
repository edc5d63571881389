import { AppError } from '../errors';

/** exec() after the user closed the connection: the pool does not reconnect behind their back. */
export class Disconnected extends AppError {
  readonly code = 'Disconnected';
  readonly nextStep = 'Connect again (tray menu → Connect, or run the command again with the CLI) to resume.';
  override readonly fix = { do: 'retry' } as const;
  constructor(readonly host: string) {
    super(`The connection to the ${host} host was closed on request, so nothing was run there.`);
  }
}
