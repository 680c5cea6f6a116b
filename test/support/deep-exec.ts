// Reality for the deep check: an image's root filesystem extracted into a temp dir by the independent oracle
// (rootfs-oracle.ts), then its entrypoint really exec'd there under chroot, the way a runtime does it: argv[0]
// looked up in the image's PATH (first existing non-directory with an execute bit, like runc's LookPath) or taken
// relative to WorkingDir, then ONE execve(2) system call, with no execvp-style retry through /bin/sh. The kernel's
// errno is the answer: ENOEXEC is "exec format error", ENOENT after a successful lookup is a missing interpreter.
//
// execve is called from Perl (always on Debian) with syscall(2), because every libc execvp, and so libuv's spawn and
// chroot(1), reruns an ENOEXEC file through /bin/sh. Programs for other architectures run under qemu-user-static,
// copied into the chroot, as if the host were that machine.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir, removeTempDir } from './cleanup.js';
import type { Fixture, FixtureImage } from './fixtures.js';
import { busyboxPath } from './paths.js';
import { mergeLayers } from './rootfs-oracle.js';
import { run } from './tools.js';

/** What the kernel did with the entrypoint. */
export type RealOutcome =
  | 'fits' // execve succeeded: the program ran (whatever its exit status)
  | 'exec-format' // ENOEXEC, or qemu's "Invalid ELF image for this architecture"
  | 'missing' // the runtime's lookup of argv[0] failed (ENOENT, ENOTDIR)
  | 'interpreter-missing' // ENOENT from execve although the file exists: its loader or #! interpreter is missing
  | 'not-executable' // EACCES (lookup or execve)
  | 'loop' // ELOOP
  | 'other';

export interface RealRun {
  outcome: RealOutcome;
  errno?: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The qemu binary used, when the platform is not the host's. */
  emulator?: string;
}

const ERRNO = { ENOENT: 2, ENOEXEC: 8, EACCES: 13, ENOTDIR: 20, ELOOP: 40 } as const;

const HELPER = String.raw`
use strict;
my ($root, $cwd, $runner, @argv) = @ARGV;
if ($root ne '-') {
  chroot($root) or do { print STDERR "ARCHFIT-HARNESS setup chroot: $!\n"; exit 120 };
}
chdir($cwd) or chdir('/');
my $name = $argv[0];
my $path;
if ($name =~ m{/}) {
  my @st = stat($name);
  unless (@st) { print STDERR "ARCHFIT-HARNESS lookup errno=" . ($! + 0) . "\n"; exit 121 }
  if (-d _ || !($st[2] & 0111)) { print STDERR "ARCHFIT-HARNESS lookup errno=13\n"; exit 121 }
  $path = $name;
} else {
  my $found_noexec = 0;
  for my $dir (split(/:/, (defined $ENV{PATH} ? $ENV{PATH} : ''), -1)) {
    $dir = '.' if $dir eq '';
    my @st = stat("$dir/$name");
    next unless @st;
    next if -d _;
    if ($st[2] & 0111) { $path = "$dir/$name"; last }
    $found_noexec = 1;
  }
  unless (defined $path) { print STDERR "ARCHFIT-HARNESS lookup errno=" . ($found_noexec ? 13 : 2) . "\n"; exit 121 }
}
my $exec = $path;
my @args = @argv;
if ($runner ne '-') { $exec = $runner; @args = ($runner, '-0', $argv[0], $path, @argv[1 .. $#argv]); }
my @env = map { "$_=$ENV{$_}" } sort keys %ENV;
my $argvp = pack('p*', @args, undef);
my $envp = pack('p*', @env, undef);
syscall(59, $exec, $argvp, $envp);
print STDERR "ARCHFIT-HARNESS execve errno=" . ($! + 0) . "\n";
exit 122;
`;

let helperFile: string | undefined;

function helper(): string {
  if (!helperFile) {
    helperFile = join(makeTempDir('deep-exec'), 'exec.pl');
    writeFileSync(helperFile, HELPER);
  }
  return helperFile;
}

/** qemu-user-static binary for an OCI architecture. */
const QEMU: Record<string, string> = {
  arm64: 'qemu-aarch64-static',
  arm: 'qemu-arm-static',
  ppc64le: 'qemu-ppc64le-static',
  s390x: 'qemu-s390x-static',
  riscv64: 'qemu-riscv64-static',
  amd64: 'qemu-x86_64-static',
  '386': 'qemu-i386-static',
};

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** binfmt_misc handlers that are enabled: with one for qemu, the kernel runs foreign binaries itself. */
function binfmtHandlers(): string[] {
  const dir = '/proc/sys/fs/binfmt_misc';
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => {
    if (name === 'register' || name === 'status') return false;
    try {
      return readFileSync(join(dir, name), 'utf8').startsWith('enabled');
    } catch {
      return false;
    }
  });
}

let unavailable: string | undefined | null = null;

/**
 * Why real execution cannot be done here, or undefined when it can: root with chroot allowed, an x86-64 host, perl,
 * and no binfmt_misc emulation registered (which would make the kernel run foreign binaries).
 */
export function realExecUnavailable(): string | undefined {
  if (unavailable !== null) return unavailable;
  unavailable = (() => {
    if (process.platform !== 'linux') return 'not Linux';
    if (process.getuid?.() !== 0) return 'chroot needs root';
    // The helper calls execve by its x86-64 system call number.
    if (process.arch !== 'x64') return 'the exec helper is written for x86-64 hosts';
    const perl = which('perl');
    if (!perl) return 'perl is missing';
    try {
      execFileSync(perl, ['-e', 'chroot("/") or exit 1']);
    } catch {
      return 'chroot is not permitted here';
    }
    const handlers = binfmtHandlers();
    if (handlers.length > 0) return `binfmt_misc handlers are registered (${handlers.join(', ')})`;
    return undefined;
  })();
  return unavailable;
}

let i386Native: boolean | undefined;

/** Does this x86-64 kernel run 32-bit x86 programs (IA32 emulation)? */
function runsI386(): boolean {
  if (i386Native === undefined) {
    try {
      execFileSync(busyboxPath('i386'), ['true']);
      i386Native = true;
    } catch {
      i386Native = false;
    }
  }
  return i386Native;
}

/** Does running for `architecture` need qemu, and is it there? */
export function emulatorFor(architecture: string): string | undefined {
  if (architecture === 'amd64' || (architecture === '386' && runsI386())) return undefined;
  const name = QEMU[architecture];
  const path = name ? which(name) : undefined;
  if (!path) throw new Error(`test harness: no qemu-user-static for ${architecture}`);
  return path;
}

/** The layers of an image, bottom first, as the oracle reads them. */
export interface ImageLayers {
  layers: readonly { digest: string; mediaType: string }[];
}

/** Refuses to write through a symlink: every parent of `path` under `root` must be a real directory. */
function assertNoSymlinkParents(root: string, path: string): void {
  let dir = dirname(path);
  while (dir.length > root.length) {
    if (existsSync(dir) && lstatSync(dir).isSymbolicLink()) {
      throw new Error(`test harness: ${path} would be written through the symlink ${dir}`);
    }
    dir = dirname(dir);
  }
}

/** Writes the merged root filesystem of `image` (from the oracle) into `dir`. */
export async function extractRootfs(
  fixture: Pick<Fixture, 'readBlob'>,
  image: ImageLayers,
  dir: string,
): Promise<void> {
  const fs = await mergeLayers(fixture as Fixture, image as unknown as FixtureImage);
  for (const path of [...fs.keys()].sort()) {
    const entry = fs.get(path)!;
    const target = join(dir, path);
    assertNoSymlinkParents(dir, target);
    mkdirSync(dirname(target), { recursive: true });
    if (entry.type === 'dir') {
      mkdirSync(target, { recursive: true });
      chmodSync(target, entry.mode & 0o7777 || 0o755);
    } else if (entry.type === 'symlink') {
      symlinkSync(entry.target ?? '', target);
    } else {
      writeFileSync(target, entry.content ?? Buffer.alloc(0));
      chmodSync(target, entry.mode & 0o7777);
    }
  }
}

export interface RunEntrypointOptions {
  argv: readonly string[];
  env?: readonly string[];
  workingDir?: string;
  /** The OCI architecture of the host to act as (qemu when not native). */
  architecture: string;
  /** `-` for no chroot (run on the host's own filesystem). */
  root: string;
  timeoutMs?: number;
}

/** Execs `argv` in the chroot as a runtime would, and classifies what the kernel said. */
export async function runEntrypoint(options: RunEntrypointOptions): Promise<RealRun> {
  const emulator = emulatorFor(options.architecture);
  let runner = '-';
  if (emulator) {
    if (options.root === '-') runner = emulator;
    else {
      runner = '/.archfit-qemu';
      copyFileSync(emulator, join(options.root, runner));
      chmodSync(join(options.root, runner), 0o755);
    }
  }
  const env: NodeJS.ProcessEnv = {};
  for (const item of options.env ?? []) {
    const eq = item.indexOf('=');
    if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  const result = await run(
    which('perl')!,
    [helper(), options.root, options.workingDir || '/', runner, ...options.argv],
    { env, allowFailure: true, timeoutMs: options.timeoutMs ?? 30_000 },
  );
  const stdout = result.stdout.toString('utf8');
  const stderr = result.stderr;
  const base = { code: result.code, stdout, stderr, ...(emulator ? { emulator } : {}) };
  const marker = /ARCHFIT-HARNESS (setup|lookup|execve)[^\n]*?(?:errno=(\d+))?\n/.exec(stderr);
  if (marker) {
    if (marker[1] === 'setup') throw new Error(`test harness: ${stderr.trim()}`);
    const errno = Number(marker[2]);
    const lookup = marker[1] === 'lookup';
    let outcome: RealOutcome = 'other';
    if (errno === ERRNO.ELOOP) outcome = 'loop';
    else if (errno === ERRNO.EACCES) outcome = 'not-executable';
    else if (lookup && (errno === ERRNO.ENOENT || errno === ERRNO.ENOTDIR)) outcome = 'missing';
    else if (!lookup && errno === ERRNO.ENOEXEC) outcome = 'exec-format';
    else if (!lookup && errno === ERRNO.ENOENT) outcome = 'interpreter-missing';
    return { outcome, errno, ...base };
  }
  if (emulator && /Invalid ELF image for this architecture/.test(stderr)) return { outcome: 'exec-format', ...base };
  return { outcome: 'fits', ...base };
}

/** Extracts `image` with the oracle into a fresh temp dir, runs argv there, removes the dir. */
export async function runImageForReal(
  fixture: Pick<Fixture, 'readBlob'>,
  image: ImageLayers,
  options: Omit<RunEntrypointOptions, 'root'>,
): Promise<RealRun> {
  const root = makeTempDir('rootfs');
  try {
    await extractRootfs(fixture, image, root);
    return await runEntrypoint({ ...options, root });
  } finally {
    removeTempDir(root);
  }
}
