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

// Headroom in the old generation for a copy. Every 64 KiB read from a socket is a new buffer in the young generation;
// each 32 MiB of them forces a scavenge, and V8 (Node 20) then starts a full mark-compact whenever the old generation
// has less room left under its limit than the young generation's capacity (16 MiB once it has grown), which in a
// process of archfit's size (8–9 MiB of old generation) is after almost every scavenge: 10–27 full collections per
// 400 MiB copied, and helper threads marking on the other core. 8 MiB held from the start (one array of small
// integers: nothing for the collector to trace) raises the limit out of reach: 2 full collections, and about 0.27 s
// less CPU per 400 MiB (bench/NOTES.md). A process-wide choice, so the CLI's and only for the command that moves data.
const retained: { headroom?: number[] } = {};
const HEADROOM_SLOTS = 1024 * 1024;

function commandLoaded(command: string): void {
  liftoffOnly();
  if (command === 'copy') retained.headroom = new Array<number>(HEADROOM_SLOTS).fill(0);
}

// A reader that stops early (`archfit inspect … | head`) closes the pipe: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

runCli(process.argv.slice(2), { ...defaultIo(), commandLoaded }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`archfit: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 3;
  },
);
