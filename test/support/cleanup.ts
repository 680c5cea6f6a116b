// Processes and temp dirs the harness creates are tracked here, so they go away even when a test forgets to stop
// them or the test process is interrupted: every tracked child is killed by its own pid on exit (and on SIGINT,
// SIGTERM, SIGHUP, which are then re-raised), and every tracked temp dir is removed.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooked = false;

function cleanupSync(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {}
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupSync();
      process.kill(process.pid, signal);
    });
  }
}

export function trackChild(child: ChildProcess): void {
  hook();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** A fresh temp dir (mode 0700) that is removed at exit unless removed earlier with `removeTempDir`. */
export function makeTempDir(prefix: string): string {
  hook();
  const dir = mkdtempSync(join(tmpdir(), `archfit-test-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** The part of a node:test TestContext (or SuiteContext) needed to register cleanup. */
export interface AfterHookHost {
  after(fn: () => unknown): void;
}

/**
 * Registers `fn` to run when the given test (or, without one, the current suite or file) finishes: `t.after` when a
 * context is given, node:test's `after` otherwise.
 */
export function registerCleanup(fn: () => unknown, t?: AfterHookHost): void {
  if (t) t.after(fn);
  else after(fn);
}
