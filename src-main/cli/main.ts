import { runCli } from './run-cli';

// Ctrl-C / SIGTERM end `status --watch` and cancel a running action (its finally steps still run); a
// second Ctrl-C is left to Node's default and ends the process at once.
const stop = new AbortController();
const onSignal = () => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: process.stdin,
  stop: stop.signal,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
