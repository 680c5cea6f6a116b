// Where the test harness keeps what it fetches and builds: outside the repository, never committed. The same rule as
// scripts/provision.mjs, which fills it: $ARCHFIT_TEST_CACHE, else $XDG_CACHE_HOME/archfit-test, else
// ~/.cache/archfit-test.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['ARCHFIT_TEST_CACHE']) return env['ARCHFIT_TEST_CACHE'];
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'archfit-test');
}

/** The six architectures of Debian's busybox-static that the fixtures use. */
export type DebianArch = 'amd64' | 'arm64' | 'armhf' | 'i386' | 'ppc64el' | 's390x';
export const DEBIAN_ARCHES: readonly DebianArch[] = ['amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x'];

/** Path of the real static busybox binary for a Debian architecture, as provisioned. */
export function busyboxPath(arch: DebianArch): string {
  const file = join(testCacheDir(), 'busybox', `busybox-${arch}`);
  if (!existsSync(file)) {
    throw new Error(`test harness: ${file} is missing; run \`node scripts/provision.mjs\` first`);
  }
  return file;
}
