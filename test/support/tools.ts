// Running the independent peer tools in tests: skopeo (with the right TLS, cert-dir and credential flags for a test
// registry), isolated from the host's containers config: a private accept-anything policy and an empty auth file.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './cleanup.js';
import type { TestRegistry } from './registry.js';
import type { RegistryCredentials } from './registry-http.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  input?: Buffer | string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill after this long (default 120 s). */
  timeoutMs?: number;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

/** Runs a command to completion; throws (with its stderr) on a non-zero exit unless `allowFailure`. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout: Buffer.concat(out), stderr: err };
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${err.trim()}`));
      } else resolve(result);
    });
    if (child.stdin) {
      // A child that exits without reading its input must not turn into an EPIPE error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

let skopeoHome: string | undefined;

/** A private policy (accept anything) and an empty auth file, so the host's containers config plays no part. */
function skopeoIsolation(): { policy: string; authFile: string; env: NodeJS.ProcessEnv } {
  if (!skopeoHome) {
    skopeoHome = makeTempDir('skopeo');
    writeFileSync(join(skopeoHome, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    writeFileSync(join(skopeoHome, 'auth.json'), JSON.stringify({ auths: {} }));
  }
  const authFile = join(skopeoHome, 'auth.json');
  return {
    policy: join(skopeoHome, 'policy.json'),
    authFile,
    env: { ...process.env, REGISTRY_AUTH_FILE: authFile, HOME: skopeoHome, XDG_RUNTIME_DIR: skopeoHome },
  };
}

/** `side` is `src`/`dest` for copy, `''` for inspect and other single-image commands. */
export type SkopeoSide = 'src' | 'dest' | '';

/**
 * Flags for reaching a test registry: `--…tls-verify=false` for plain HTTP, `--…cert-dir` with its CA for TLS,
 * `--…creds` with its account (or `--…no-creds` when `credentials` is 'anonymous').
 */
export function skopeoRegistryFlags(
  registry: TestRegistry,
  side: SkopeoSide,
  credentials?: RegistryCredentials | 'anonymous',
): string[] {
  const p = side ? `--${side}-` : '--';
  const flags: string[] = [];
  if (registry.scheme === 'http') flags.push(`${p}tls-verify=false`);
  else flags.push(`${p}tls-verify=true`, `${p}cert-dir`, registry.certDir!);
  const creds =
    credentials ??
    (registry.username !== undefined ? { username: registry.username, password: registry.password ?? '' } : undefined);
  if (creds === 'anonymous') flags.push(`${p}no-creds`);
  else if (creds) flags.push(`${p}creds`, `${creds.username}:${creds.password}`);
  return flags;
}

/** Runs skopeo with the private policy and auth file. */
export function skopeo(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const iso = skopeoIsolation();
  return run('skopeo', ['--policy', iso.policy, ...args], { env: iso.env, ...options });
}

/** `docker://127.0.0.1:PORT/repo:tag` (or `@sha256:…` when `reference` is a digest). */
export function dockerRef(registry: TestRegistry, repo: string, reference: string): string {
  return `docker://${registry.host}/${repo}${reference.includes(':') ? '@' : ':'}${reference}`;
}

export interface SkopeoCopyOptions {
  srcRegistry?: TestRegistry;
  destRegistry?: TestRegistry;
  srcCredentials?: RegistryCredentials | 'anonymous';
  destCredentials?: RegistryCredentials | 'anonymous';
  /** `--all` (default true): every platform of an index. */
  all?: boolean;
  /** `--preserve-digests` (default true): fail rather than change a manifest. */
  preserveDigests?: boolean;
  extraArgs?: readonly string[];
}

/** `skopeo copy` between transports (`oci:dir:tag`, `docker://…`); returns the digest skopeo wrote. */
export async function skopeoCopy(src: string, dest: string, options: SkopeoCopyOptions = {}): Promise<string> {
  const digestFile = join(skopeoIsolation().authFile, '..', `digest-${process.hrtime.bigint()}`);
  const args = ['copy', '--retry-times', '0', '--digestfile', digestFile];
  if (options.all ?? true) args.push('--all');
  if (options.preserveDigests ?? true) args.push('--preserve-digests');
  if (options.srcRegistry) args.push(...skopeoRegistryFlags(options.srcRegistry, 'src', options.srcCredentials));
  if (options.destRegistry) args.push(...skopeoRegistryFlags(options.destRegistry, 'dest', options.destCredentials));
  args.push(...(options.extraArgs ?? []), src, dest);
  await skopeo(args);
  return readFileSync(digestFile, 'utf8').trim();
}

/** `skopeo inspect --raw`: the manifest or index bytes exactly as the registry serves them. */
export async function skopeoInspectRaw(
  registry: TestRegistry,
  repo: string,
  reference: string,
  credentials?: RegistryCredentials | 'anonymous',
): Promise<Buffer> {
  const r = await skopeo([
    'inspect',
    '--raw',
    '--retry-times',
    '0',
    ...skopeoRegistryFlags(registry, '', credentials),
    dockerRef(registry, repo, reference),
  ]);
  return r.stdout;
}

const QEMU: Record<string, string> = {
  x86_64: 'qemu-x86_64-static',
  aarch64: 'qemu-aarch64-static',
  arm: 'qemu-arm-static',
  i386: 'qemu-i386-static',
  ppc64: 'qemu-ppc64le-static',
  s390: 'qemu-s390x-static',
};

const HOST_ELF: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i386',
  ppc64: 'ppc64',
  s390x: 's390',
};

/**
 * Runs a static ELF for `machine` (an ElfMachine name such as `aarch64`): natively when it is the host's, else under
 * qemu-user-static. For proving fixture binaries are real.
 */
export function runElf(file: string, args: readonly string[], machine: string, options: RunOptions = {}) {
  if (HOST_ELF[process.arch] === machine) return run(file, args, options);
  const qemu = QEMU[machine];
  if (!qemu) throw new Error(`test harness: no qemu-user-static runner for ${machine}`);
  return run(qemu, [file, ...args], options);
}
