#!/usr/bin/env node
// `homeserver-tray …`: the command line of this checkout, for `npm link` (or `npm install -g .`) to put on the
// PATH. It runs the TypeScript sources with tsx's loader, as `npm run cli --` does; hints then name the
// command as `homeserver-tray`. The release packages carry the window app only, not this command.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src-main/cli/main.ts', import.meta.url).href);
