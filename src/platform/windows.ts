// Windows containers share the host's kernel, so the image's OS version (major.minor.build[.revision]) must be one
// the host's build can run. Before Windows Server 2022 that meant the same build; from 2022 on, hosts run images
// from the stable-ABI LTSC release before their own generation up to their own build (containerd's rules, after
// Microsoft's version-compatibility table).
import { parseVersionedVariant } from './variant.js';

export interface WindowsVersion {
  major: number;
  minor: number;
  build: number;
}

/** Windows Server 2022 (LTSC 2022, 21H2): the first build with the stable ABI. */
export const WINDOWS_SERVER_2022_BUILD = 20348;

/** Stable-ABI LTSC builds, ascending: Windows Server 2022 and Windows Server 2025. */
const STABLE_ABI_LTSC_BUILDS = [WINDOWS_SERVER_2022_BUILD, 26100] as const;

/** Major, minor and build of "10.0.20348[.1234]", or undefined when it is not such a version. */
export function parseWindowsVersion(version: string): WindowsVersion | undefined {
  const v = parseVersionedVariant(version);
  if (v?.prefix !== '' || v.suffix !== '' || v.numbers.length < 3) return undefined;
  const [major = 0, minor = 0, build = 0] = v.numbers;
  // The widths of the fields in Windows' own version structure.
  if (major > 0xff || minor > 0xff || build > 0xffff) return undefined;
  return { major, minor, build };
}

/** True when a container image built for `image` can run on a host at `host` (process isolation). */
export function windowsBuildsCompatible(host: WindowsVersion, image: WindowsVersion): boolean {
  if (host.major !== image.major || host.minor !== image.minor) return false;
  if (host.build < WINDOWS_SERVER_2022_BUILD) return host.build === image.build;
  // The oldest build a host runs: the LTSC before the newest LTSC the host has reached (or the first LTSC).
  let newest = 0;
  for (let i = 0; i < STABLE_ABI_LTSC_BUILDS.length; i++) {
    if (host.build >= STABLE_ABI_LTSC_BUILDS[i]!) newest = i;
  }
  const floor = STABLE_ABI_LTSC_BUILDS[Math.max(0, newest - 1)]!;
  return image.build >= floor && image.build <= host.build;
}

/**
 * The OS-version check of a Windows host: a host or an image that declares no version (or a host version we cannot
 * read) places no constraint; an image version we cannot read does not run.
 */
export function windowsVersionMatch(hostVersion: string | undefined, imageVersion: string | undefined): boolean {
  const host = parseWindowsVersion(hostVersion ?? '');
  if (!host || (host.major === 0 && host.minor === 0 && host.build === 0) || !imageVersion) return true;
  const image = parseWindowsVersion(imageVersion);
  return image !== undefined && windowsBuildsCompatible(host, image);
}
