import { AppError } from '../core/errors';

/** The command line is not one the command takes: an unknown option, an argument too many or missing. */
export class UsageError extends AppError {
  readonly code = 'UsageError';
  readonly nextStep = 'Run it with --help to see what it takes.';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** What a command accepts: flags without a value, options with one, options that may repeat. */
export interface ArgSpec {
  flags?: readonly string[];
  options?: readonly string[];
  repeatable?: readonly string[];
}

export interface ParsedArgs {
  positional: string[];
  flags: Set<string>;
  options: Map<string, string>;
  repeated: Map<string, string[]>;
}

/**
 * `--name`, `--name value` and `--name=value`; anything after `--` is positional. Unknown options
 * are an InvalidInput naming the option, so a typo never silently changes what a command does.
 */
export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], flags: new Set(), options: new Map(), repeated: new Map() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      parsed.positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      parsed.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const takesValue = spec.options?.includes(name) || spec.repeatable?.includes(name);
    if (spec.flags?.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name}`, 'takes no value');
      parsed.flags.add(name);
    } else if (takesValue) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${name}`, 'needs a value');
      if (spec.repeatable?.includes(name))
        parsed.repeated.set(name, [...(parsed.repeated.get(name) ?? []), value]);
      else if (parsed.options.has(name)) throw new UsageError(`--${name}`, 'is given twice');
      else parsed.options.set(name, value);
    } else {
      throw new UsageError(`--${name}`, 'is not an option of this command (see --help)');
    }
  }
  return parsed;
}

/** Options of any command whose value is the next word: `--profile` never hides behind one of them. */
const VALUED = new Set(['--param', '--host', '--uses', '--expires', '--user', '--fingerprint', '--search']);

/**
 * Takes the global `--profile FILE` out of argv, wherever it stands (`status --profile p.yaml` and
 * `--profile p.yaml status` both work), and returns the rest for the command.
 */
export function takeProfileOption(argv: readonly string[]): { profilePath: string | null; rest: string[] } {
  const rest: string[] = [];
  let profilePath: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (VALUED.has(arg)) {
      rest.push(arg);
      if (i + 1 < argv.length) rest.push(argv[++i] as string);
      continue;
    }
    if (arg === '--profile' || arg.startsWith('--profile=')) {
      const value = arg === '--profile' ? argv[++i] : arg.slice('--profile='.length);
      if (!value) throw new UsageError('--profile', 'needs a file (a profile YAML)');
      if (profilePath !== null) throw new UsageError('--profile', 'is given twice');
      profilePath = value;
      continue;
    }
    rest.push(arg);
  }
  return { profilePath, rest };
}

/** `--param key=value` pairs; the value may contain `=`. */
export function paramPairs(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError('--param', `"${pair}" is not key=value`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(params, key)) throw new UsageError('--param', `${key} is given twice`);
    params[key] = pair.slice(eq + 1);
  }
  return params;
}

/** A command that takes no positional arguments and no options of its own. */
export function noArguments(args: string[], command: string): void {
  const { positional } = parseArgs(args, {});
  if (positional.length > 0)
    throw new UsageError(command, `takes no arguments ("${positional[0]}" is one too many)`);
}
