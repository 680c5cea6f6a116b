// Provisions what the real-parts tests need, before anything is built (plain Node, no dependencies):
//   1. Debian packages: the distribution registry, skopeo, qemu-user-static, zstd, openssl and htpasswd
//      (apache2-utils). Missing ones are installed with apt-get when running as root; otherwise this fails with one
//      line naming what is missing.
//   2. Debian's busybox-static for six architectures, unpacked to `busybox-<debian arch>` in the test cache
//      ($ARCHFIT_TEST_CACHE, else $XDG_CACHE_HOME/archfit-test, else ~/.cache/archfit-test). Fetched once with a
//      private apt lists/cache dir, so the system's apt state is left alone; each binary is checked to be a static
//      ELF of the right machine.
// A second run with everything present only stats a few files.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Executables the tests run, and the Debian package that ships each. */
const REQUIRED = [
  { command: 'docker-registry', pkg: 'docker-registry' },
  { command: 'skopeo', pkg: 'skopeo' },
  { command: 'qemu-aarch64-static', pkg: 'qemu-user-static' },
  { command: 'zstd', pkg: 'zstd' },
  { command: 'openssl', pkg: 'openssl' },
  { command: 'htpasswd', pkg: 'apache2-utils' },
  { command: 'dpkg-deb', pkg: 'dpkg' },
];

/** Debian architecture → ELF facts busybox-static must have (class 1 = 32-bit, 2 = 64-bit; data 1 = LE, 2 = BE). */
const BUSYBOX_ARCHES = {
  amd64: { machine: 62, elfClass: 2, data: 1 },
  arm64: { machine: 183, elfClass: 2, data: 1 },
  armhf: { machine: 40, elfClass: 1, data: 1 },
  i386: { machine: 3, elfClass: 1, data: 1 },
  ppc64el: { machine: 21, elfClass: 2, data: 1 },
  s390x: { machine: 22, elfClass: 2, data: 2 },
};

const log = (msg) => process.stdout.write(`provision: ${msg}\n`);
function fail(msg) {
  process.stderr.write(`provision: ${msg}\n`);
  process.exit(1);
}

function testCacheDir(env = process.env) {
  if (env.ARCHFIT_TEST_CACHE) return env.ARCHFIT_TEST_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'archfit-test');
}

function onPath(command) {
  const dirs = (process.env.PATH || '').split(delimiter).filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dirs.includes(d)) dirs.push(d);
  }
  for (const d of dirs) {
    try {
      accessSync(join(d, command), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function aptEnv() {
  return { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
}

function lastLines(text, n = 3) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

function ensurePackages() {
  const missing = REQUIRED.filter((r) => !onPath(r.command));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const what = `${missing.map((m) => m.command).join(', ')} (Debian packages: ${pkgs.join(' ')})`;
  if (!isRoot() || !onPath('apt-get')) {
    fail(`missing ${what}; run as root on Debian or install them: apt-get install ${pkgs.join(' ')}`);
  }
  log(`installing ${pkgs.join(' ')}`);
  const update = spawnSync('apt-get', ['update'], { encoding: 'utf8', env: aptEnv() });
  if (update.status !== 0) log(`apt-get update reported errors (continuing): ${lastLines(update.stderr || '', 1)}`);
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    encoding: 'utf8',
    env: aptEnv(),
  });
  const still = REQUIRED.filter((r) => !onPath(r.command));
  if (install.status !== 0 || still.length > 0) {
    const detail = lastLines(`${install.stdout || ''}\n${install.stderr || ''}`, 2);
    fail(`could not install ${what}: apt-get install exited ${install.status ?? install.signal}: ${detail}`);
  }
}

/** Reads just enough of an ELF file to check class, byte order, machine and that it has no PT_INTERP. */
function elfFacts(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 52 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const elfClass = head[4];
    const data = head[5];
    const le = data === 1;
    const u16 = (b, o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b, o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b, o) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const machine = u16(head, 18);
    const phoff = elfClass === 2 ? u64(head, 32) : u32(head, 28);
    const phentsize = u16(head, elfClass === 2 ? 54 : 42);
    const phnum = u16(head, elfClass === 2 ? 56 : 44);
    let interp = false;
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === 3) interp = true;
    return { elfClass, data, machine, interp };
  } finally {
    closeSync(fd);
  }
}

function busyboxOk(file, arch) {
  if (!existsSync(file)) return false;
  const want = BUSYBOX_ARCHES[arch];
  const got = elfFacts(file);
  return (
    got !== undefined &&
    got.machine === want.machine &&
    got.elfClass === want.elfClass &&
    got.data === want.data &&
    !got.interp
  );
}

function ensureBusybox() {
  const cache = testCacheDir();
  const binDir = join(cache, 'busybox');
  const arches = Object.keys(BUSYBOX_ARCHES);
  const missing = arches.filter((a) => !busyboxOk(join(binDir, `busybox-${a}`), a));
  if (missing.length === 0) return;
  if (!onPath('apt-get') || !onPath('dpkg-deb')) {
    fail(
      `missing busybox-static for ${missing.join(', ')} in ${binDir}: apt-get and dpkg-deb are needed to fetch them`,
    );
  }
  log(`fetching busybox-static for ${missing.join(', ')} into ${binDir}`);
  mkdirSync(binDir, { recursive: true });
  const work = mkdtempSync(join(cache, 'apt-'));
  try {
    const lists = join(work, 'lists');
    const aptCache = join(work, 'cache');
    const debs = join(work, 'debs');
    for (const d of [join(lists, 'partial'), join(aptCache, 'archives', 'partial'), debs]) {
      mkdirSync(d, { recursive: true });
    }
    // apt drops to the _apt user for downloads; let it write here so it does not warn about its sandbox.
    for (const d of [work, lists, join(lists, 'partial'), debs]) chmodSync(d, 0o777);
    const aptOpts = [
      `-oAPT::Architectures=${arches.join(',')}`,
      `-oDir::State::Lists=${lists}`,
      `-oDir::Cache=${aptCache}`,
    ];
    // Some foreign-architecture indexes (often the security suite) fail; the main suite is enough, so the exit
    // status is not trusted here: the download below tells.
    const update = spawnSync('apt-get', ['update', ...aptOpts], { encoding: 'utf8', env: aptEnv() });
    const download = spawnSync('apt-get', ['download', ...aptOpts, ...missing.map((a) => `busybox-static:${a}`)], {
      cwd: debs,
      encoding: 'utf8',
      env: aptEnv(),
    });
    if (download.status !== 0) {
      const detail = lastLines(`${download.stderr || ''}\n${update.stderr || ''}`, 2);
      fail(`could not fetch busybox-static for ${missing.join(', ')} (apt-get download failed: ${detail})`);
    }
    const files = readdirSync(debs);
    for (const arch of missing) {
      const deb = files.find((f) => f.startsWith('busybox-static_') && f.endsWith(`_${arch}.deb`));
      if (!deb) fail(`could not fetch busybox-static for ${arch}: no .deb was downloaded`);
      const out = join(work, `x-${arch}`);
      const x = spawnSync('dpkg-deb', ['-x', join(debs, deb), out], { encoding: 'utf8' });
      if (x.status !== 0) fail(`could not unpack ${deb}: ${lastLines(x.stderr || '', 1)}`);
      const tmp = join(binDir, `.busybox-${arch}.tmp`);
      copyFileSync(join(out, 'bin', 'busybox'), tmp);
      chmodSync(tmp, 0o755);
      if (!busyboxOk(tmp, arch)) {
        rmSync(tmp, { force: true });
        fail(`busybox-static for ${arch} is not a static ELF for machine ${BUSYBOX_ARCHES[arch].machine}`);
      }
      renameSync(tmp, join(binDir, `busybox-${arch}`));
    }
    log(`busybox-static ready for ${missing.join(', ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  ensurePackages();
  ensureBusybox();
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)}`);
}
