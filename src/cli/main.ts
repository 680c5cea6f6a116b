#!/usr/bin/env node
// The archfit command line. Only the argument parser is loaded at start-up; each command's implementation (and the
// HTTP client, the AWS SDK, the layer reader) is imported when that command runs, to keep `--version` fast.
import { setFlagsFromString } from 'node:v8';
import { defaultIo, runCli } from './run.js';

// undici parses HTTP with WebAssembly; V8's optimising tier would recompile it in the background and hold up the exit
// of every short command by about 100 ms. The baseline compiler alone is fast enough for headers (measured in bench/).
// A process-wide flag: set here, in the CLI, never in the library; only on the Node versions it was checked on (a V8
// that no longer knows a flag prints an error for it). Set once the command's code is loaded, not before: V8 refuses
// Node's built-in code cache for the Node modules compiled after a flag changes (about 30 ms more start-up, measured).
function liftoffOnly(): void {
  if (Number(process.versions.node.split('.')[0]) <= 24) setFlagsFromString('--liftoff-only');
}

// A reader that stops early (`archfit inspect … | head`) closes the pipe: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

runCli(process.argv.slice(2), { ...defaultIo(), commandLoaded: liftoffOnly }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`archfit: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 3;
  },
);
