#!/usr/bin/env node
// The archfit command line. Only the argument parser is loaded at start-up; each command's implementation (and the
// HTTP client, the AWS SDK, the layer reader) is imported when that command runs, to keep `--version` fast.
import { runCli } from './run.js';

// A reader that stops early (`archfit inspect … | head`) closes the pipe: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`archfit: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 3;
  },
);
