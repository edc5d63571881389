import { APP_VERSION } from '../version';

const HELP = `homeserver-tray — the Homeserver Tray core from the command line

Usage:
  homeserver-tray --help       show this help
  homeserver-tray --version    print the version

Options every command takes:
  --profile FILE               the homeserver profile (YAML) to use
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout(HELP);
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${APP_VERSION}\n`);
    return 0;
  }
  io.stderr(`Unknown command "${first}". Run with --help to see what is available.\n`);
  return 64;
}
