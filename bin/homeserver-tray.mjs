#!/usr/bin/env node
// `homeserver-tray …`: the command line of this checkout, for `npm link` (or `npm install -g .`) to put on the
// PATH; `npm run cli --` runs this same file, and hints then name the command the way it was run. It runs
// out/cli/main.mjs, the checkout's sources bundled by scripts/build-cli.mjs, rebuilt first when a file it was
// built from changed: what runs is always this checkout's code. The release packages carry the window app
// only, not this command.
import { pathToFileURL } from 'node:url';
import { CLI_BUNDLE, ensureCliBuilt } from '../scripts/build-cli.mjs';

try {
  await ensureCliBuilt();
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `The command line could not be built from this checkout's sources (scripts/build-cli.mjs):\n${reason}\n` +
      'Fix what it names and run the command again.\n',
  );
  process.exit(1);
}
await import(pathToFileURL(CLI_BUNDLE).href);
