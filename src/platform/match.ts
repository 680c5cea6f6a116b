// Matchers: which candidate platforms run on a host, and which of them to prefer (containerd's NewMatcher, Only,
// OnlyStrict and OnlyOS). The host is always passed in; nothing here looks at the machine we run on.
import { ArchfitError, quote } from '../errors.js';
import { normalizePlatform } from './normalize.js';
import { parsePlatform } from './parse.js';
import type { MatchMode, Platform, PlatformMatcher } from './types.js';
import { arm64VariantMatch, genericVariantMatch, naturalCompare, numberedVariantMatch } from './variant.js';
import { windowsVersionMatch } from './windows.js';

export const MATCH_MODES: readonly MatchMode[] = ['exact', 'compatible', 'strict', 'os'];

/** The architecture whose binaries a host also runs (through its 32-bit mode): 386 on amd64, arm on arm64. */
const FALLBACK_ARCHITECTURE = new Map([
  ['amd64', '386'],
  ['arm64', 'arm'],
]);

/** The lowest level of architectures whose variants are levels, and what no variant means for them. */
const VARIANT_FLOOR = new Map([
  ['amd64', 'v1'],
  ['arm', 'v5'],
]);

/** Windows Nano Server lacks win32k, so containerd never lets that feature decide a Windows match. */
const IGNORED_WINDOWS_FEATURE = 'win32k';

function candidateFeatures(host: Platform, c: Platform): string[] {
  const features = c.osFeatures ?? [];
  return host.os === 'windows' ? features.filter((f) => f !== IGNORED_WINDOWS_FEATURE) : features;
}

/** Same OS, an OS version the host runs (only Windows has a rule), and no OS feature the host lacks. */
function sameOS(host: Platform, c: Platform): boolean {
  if (host.os !== c.os) return false;
  if (host.os === 'windows' && !windowsVersionMatch(host.osVersion, c.osVersion)) return false;
  const have = new Set(host.osFeatures ?? []);
  return candidateFeatures(host, c).every((f) => have.has(f));
}

function exactMatch(host: Platform, c: Platform): boolean {
  return sameOS(host, c) && host.architecture === c.architecture && (host.variant ?? '') === (c.variant ?? '');
}

function architectureCompatible(host: Platform, c: Platform): boolean {
  const hostVariant = host.variant ?? '';
  const variant = c.variant ?? '';
  if (c.architecture === host.architecture) {
    const floor = VARIANT_FLOOR.get(host.architecture);
    if (floor !== undefined) return numberedVariantMatch(hostVariant, variant, floor);
    if (host.architecture === 'arm64') return arm64VariantMatch(hostVariant, variant);
    return genericVariantMatch(hostVariant, variant);
  }
  if (c.architecture !== FALLBACK_ARCHITECTURE.get(host.architecture)) return false;
  // 386 has no levels; 32-bit arm on an arm64 host goes up to arm/v8, whatever the host's own version.
  return host.architecture === 'amd64' || numberedVariantMatch('v8', variant, 'v5');
}

function compatibleMatch(host: Platform, c: Platform): boolean {
  return sameOS(host, c) && architectureCompatible(host, c);
}

const MATCHERS: Record<MatchMode, (host: Platform, c: Platform) => boolean> = {
  exact: exactMatch,
  strict: exactMatch,
  compatible: compatibleMatch,
  os: sameOS,
};

function architectureRank(host: Platform, architecture: string): number {
  if (architecture === host.architecture) return 2;
  return architecture !== '' && architecture === FALLBACK_ARCHITECTURE.get(host.architecture) ? 1 : 0;
}

function featureOverlap(host: Platform, c: Platform): number {
  const have = new Set(host.osFeatures ?? []);
  return candidateFeatures(host, c).filter((f) => have.has(f)).length;
}

/**
 * containerd's ranking of candidates, independent of whether they match: the host's OS first, then the host's
 * architecture, then its fallback, then the highest variant and the highest OS version, then the most OS features
 * the host also has. Names that tie on all of that compare in natural order, so the ranking is total.
 */
function rank(host: Platform, a: Platform, b: Platform): number {
  const nativeA = a.os === host.os;
  if (nativeA !== (b.os === host.os)) return nativeA ? -1 : 1;
  if (a.os !== b.os) return naturalCompare(a.os, b.os);
  const archA = architectureRank(host, a.architecture);
  const archB = architectureRank(host, b.architecture);
  if (archA !== archB) return archB - archA;
  if (a.architecture !== b.architecture) return naturalCompare(a.architecture, b.architecture);
  const variants = naturalCompare(b.variant ?? '', a.variant ?? '');
  if (variants !== 0) return variants;
  const versions = naturalCompare(b.osVersion ?? '', a.osVersion ?? '');
  if (versions !== 0) return versions;
  return featureOverlap(host, b) - featureOverlap(host, a);
}

function compareCandidates(host: Platform, mode: MatchMode, a: Platform, b: Platform): number {
  // Runs under the mode, then is the host itself, then runs on the host at all (this orders the `os` mode's
  // other architectures), then the ranking.
  const tests = [MATCHERS[mode], exactMatch, compatibleMatch];
  for (const test of tests) {
    const ta = test(host, a);
    if (ta !== test(host, b)) return ta ? -1 : 1;
  }
  return rank(host, a, b);
}

/**
 * A matcher for a host platform (a Platform or a specifier; a single-component specifier is completed from
 * linux/amd64). `mode` is `compatible` by default, containerd's Only: what a container runtime on that host would
 * accept. `less` puts matching candidates first and the preferred one of them first of all.
 *
 * @throws ArchfitError INVALID_PLATFORM for a bad specifier, INVALID_ARGUMENT for an unknown mode.
 */
export function platformMatcher(p: Platform | string, mode: MatchMode = 'compatible'): PlatformMatcher {
  if (!MATCH_MODES.includes(mode)) {
    throw new ArchfitError(
      'INVALID_ARGUMENT',
      `invalid platform match mode ${quote(mode)}: expected one of ${MATCH_MODES.join(', ')}`,
      { details: { input: mode } },
    );
  }
  const host = normalizePlatform(typeof p === 'string' ? parsePlatform(p) : p);
  const matches = MATCHERS[mode];
  return {
    platform: host,
    mode,
    match: (candidate) => matches(host, normalizePlatform(candidate)),
    less: (a, b) => compareCandidates(host, mode, normalizePlatform(a), normalizePlatform(b)) < 0,
  };
}

/** A copy of `list` ordered by the matcher's preference, best first (stable: ties keep their order). */
export function sortPlatforms<T extends Platform>(matcher: PlatformMatcher, list: readonly T[]): T[] {
  return [...list].sort((a, b) => (matcher.less(a, b) ? -1 : matcher.less(b, a) ? 1 : 0));
}

/**
 * The preferred candidate that matches, with its position (so an index entry can be found from its platform), or
 * undefined when none does. Entries without a platform are skipped; among equals the first wins.
 */
export function bestMatch<T extends Platform>(
  matcher: PlatformMatcher,
  candidates: readonly (T | undefined | null)[],
): { index: number; platform: T } | undefined {
  let best: { index: number; platform: T } | undefined;
  candidates.forEach((candidate, index) => {
    if (candidate == null || !matcher.match(candidate)) return;
    if (best === undefined || matcher.less(candidate, best.platform)) best = { index, platform: candidate };
  });
  return best;
}
