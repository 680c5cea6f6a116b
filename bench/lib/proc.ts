// Running the tools under measurement: wall time from spawn to exit, and the peak resident set size of the process
// (GNU time's %M, or VmHWM read from /proc while the process runs when GNU time is not installed).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TestRegistry } from '../../test/support/registry.js';
import { skopeoRegistryFlags } from '../../test/support/tools.js';

export interface Timed {
  ms: number;
  /** Peak RSS in bytes; undefined when it could not be measured. */
  rss?: number;
  /** CPU seconds (user + system) of the process, when GNU time is there. */
  cpu?: number;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';
export const rssMethod = existsSync(GNU_TIME) ? 'GNU time %M' : '/proc VmHWM polling';

let seq = 0;

function vmHwm(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command to completion (failing on a non-zero exit) and measures it. */
export async function timed(
  workDir: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Timed> {
  const useTime = existsSync(GNU_TIME);
  const rssFile = join(workDir, `rss-${process.pid}-${++seq}`);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, command, ...args]] : [command, [...args]];
  const started = performance.now();
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  let peak = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        peak = Math.max(peak, vmHwm(child.pid!) ?? 0);
      }, 20);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const ms = performance.now() - started;
  if (poll) clearInterval(poll);
  let rss: number | undefined;
  let cpu: number | undefined;
  if (useTime && existsSync(rssFile)) {
    // The last line: GNU time puts a "Command exited with non-zero status" line first when there is one.
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    const [kb, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    if (kb !== undefined && Number.isFinite(kb)) rss = kb * 1024;
    if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpu = user + sys;
    rmSync(rssFile, { force: true });
  } else if (peak > 0) rss = peak;
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(-2000)}`);
  }
  return { ms, ...(rss !== undefined ? { rss } : {}), ...(cpu !== undefined ? { cpu } : {}), stdout, stderr };
}

/**
 * skopeo, isolated from the host's containers configuration: a private accept-anything policy, an empty auth file,
 * and its blob-info cache in a directory of ours (`cacheDir`). The cache is where skopeo remembers which repositories
 * of a registry hold a blob, to mount it from there later; as root it would be the system-wide one, shared with
 * anything else on the machine, so it is redirected (containers/image reads `_CONTAINERS_ROOTLESS_UID` to decide that
 * it runs unprivileged, and then keeps the cache under $XDG_DATA_HOME).
 */
export class Skopeo {
  readonly home: string;
  private readonly policy: string;
  private readonly authFile: string;

  constructor(readonly workDir: string) {
    this.home = join(workDir, 'skopeo-home');
    mkdirSync(this.home, { recursive: true });
    this.policy = join(this.home, 'policy.json');
    this.authFile = join(this.home, 'auth.json');
    writeFileSync(this.policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    writeFileSync(this.authFile, JSON.stringify({ auths: {} }));
  }

  env(cacheDir: string): NodeJS.ProcessEnv {
    mkdirSync(cacheDir, { recursive: true });
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: this.home,
      XDG_RUNTIME_DIR: this.home,
      XDG_CONFIG_HOME: join(this.home, 'config'),
      XDG_DATA_HOME: cacheDir,
      REGISTRY_AUTH_FILE: this.authFile,
      _CONTAINERS_ROOTLESS_UID: '65534',
    };
  }

  /** Where a run's blob-info cache file ends up (to check that the isolation works). */
  static cacheFile(cacheDir: string): string {
    return join(cacheDir, 'containers', 'cache', 'blob-info-cache-v1.boltdb');
  }

  args(args: readonly string[]): string[] {
    return ['--policy', this.policy, ...args];
  }

  run(args: readonly string[], cacheDir: string): Promise<Timed> {
    return timed(this.workDir, 'skopeo', this.args(args), this.env(cacheDir));
  }

  /** `skopeo copy --all` from an OCI layout or registry to a registry (plain HTTP on both sides). */
  copyArgs(src: string, dest: string, srcRegistry?: TestRegistry, destRegistry?: TestRegistry): string[] {
    return [
      'copy',
      '--all',
      '--retry-times',
      '0',
      ...(srcRegistry ? skopeoRegistryFlags(srcRegistry, 'src') : []),
      ...(destRegistry ? skopeoRegistryFlags(destRegistry, 'dest') : []),
      src,
      dest,
    ];
  }
}

/** CPU seconds (user + system) a running process has used so far, from /proc/PID/stat; 0 when unreadable. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;
