// Normalisation: the many spellings of an OS, an architecture and a variant, reduced to the canonical (Go) names
// that image indexes use, so that `aarch64` and `arm64/v8` compare equal to `arm64`.
import type { Platform } from './types.js';

/** Operating systems we recognise when a specifier has a single component (Go's GOOS list, as containerd has it). */
const KNOWN_OS = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'js',
  'linux',
  'nacl',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'windows',
  'zos',
]);

/** Architectures we recognise when a specifier has a single component (Go's GOARCH list, as containerd has it). */
const KNOWN_ARCHITECTURES = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'loong64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
]);

const OS_ALIASES = new Map([['macos', 'darwin']]);

/**
 * Other names of an architecture. When `variant` is set the alias fixes the variant whatever was written
 * (armhf is always arm/v7); otherwise the variant goes through the canonical architecture's variant aliases.
 */
const ARCHITECTURE_ALIASES = new Map<string, { architecture: string; variant?: string }>([
  ['x86_64', { architecture: 'amd64' }],
  ['x86-64', { architecture: 'amd64' }],
  ['aarch64', { architecture: 'arm64' }],
  ['armhf', { architecture: 'arm', variant: 'v7' }],
  ['armel', { architecture: 'arm', variant: 'v6' }],
  ['i386', { architecture: '386', variant: '' }],
  // Not in containerd's table, but the name `uname -m` gives on most 32-bit x86 Linux systems.
  ['i686', { architecture: '386', variant: '' }],
]);

/**
 * Variant spellings per canonical architecture. The most common level of each is written without a variant, except
 * arm, where a bare `arm` means v7 and the variant is always spelled out.
 */
const VARIANT_ALIASES = new Map<string, Map<string, string>>([
  ['amd64', new Map([['v1', '']])],
  [
    'arm64',
    new Map([
      ['8', ''],
      ['v8', ''],
      ['v8.0', ''],
      ['9', 'v9'],
      ['9.0', 'v9'],
      ['v9.0', 'v9'],
    ]),
  ],
  [
    'arm',
    new Map([
      ['', 'v7'],
      ['5', 'v5'],
      ['6', 'v6'],
      ['7', 'v7'],
      ['8', 'v8'],
    ]),
  ],
]);

/** A string field of untrusted data, or '' when it is missing or not a string. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Lower case, with `macos` read as `darwin`. An empty OS stays empty: the host is not known here. */
export function normalizeOS(os: string): string {
  const lower = text(os).toLowerCase();
  return OS_ALIASES.get(lower) ?? lower;
}

/** The canonical architecture and variant; an empty variant means "none" (the architecture's common level). */
export function normalizeArchitecture(architecture: string, variant = ''): { architecture: string; variant: string } {
  const arch = text(architecture).toLowerCase();
  const lowerVariant = text(variant).toLowerCase();
  const alias = ARCHITECTURE_ALIASES.get(arch);
  if (alias?.variant !== undefined) return { architecture: alias.architecture, variant: alias.variant };
  const canonical = alias?.architecture ?? arch;
  return { architecture: canonical, variant: VARIANT_ALIASES.get(canonical)?.get(lowerVariant) ?? lowerVariant };
}

export function isKnownOS(os: string): boolean {
  return KNOWN_OS.has(normalizeOS(os));
}

export function isKnownArchitecture(architecture: string): boolean {
  return KNOWN_ARCHITECTURES.has(normalizeArchitecture(architecture).architecture);
}

/** Sorted, without duplicates or empty strings; undefined when nothing is left. */
export function normalizeOSFeatures(features: unknown): string[] | undefined {
  if (!Array.isArray(features)) return undefined;
  const kept = [...new Set(features.filter((f): f is string => typeof f === 'string' && f !== ''))].sort();
  return kept.length > 0 ? kept : undefined;
}

/** Assembles a platform, leaving out the optional fields that are empty. */
export function makePlatform(
  os: string,
  architecture: string,
  variant?: string,
  osVersion?: string,
  osFeatures?: string[],
): Platform {
  const p: Platform = { os, architecture };
  if (variant) p.variant = variant;
  if (osVersion) p.osVersion = osVersion;
  if (osFeatures && osFeatures.length > 0) p.osFeatures = osFeatures;
  return p;
}

/**
 * The canonical form of a platform: OS lower-cased (`macos` → `darwin`); architecture aliases resolved (`x86_64` →
 * amd64, `aarch64` → arm64, `armhf` → arm/v7, `armel` → arm/v6, `i386`/`i686` → 386); the common level written
 * without a variant (amd64/v1 → amd64, arm64/v8 → arm64; arm64/v9.0 is v9) except arm, which always has one
 * (arm → arm/v7); OS features sorted and de-duplicated. The OS version is kept as it is. Fields that are not
 * strings count as empty.
 */
export function normalizePlatform(p: Platform): Platform {
  const { architecture, variant } = normalizeArchitecture(text(p.architecture), text(p.variant));
  return makePlatform(
    normalizeOS(text(p.os)),
    architecture,
    variant,
    text(p.osVersion),
    normalizeOSFeatures(p.osFeatures),
  );
}

/** True when both are the same platform once normalised, OS version and OS features included. */
export function platformsEqual(a: Platform, b: Platform): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return (
    x.os === y.os &&
    x.architecture === y.architecture &&
    (x.variant ?? '') === (y.variant ?? '') &&
    (x.osVersion ?? '') === (y.osVersion ?? '') &&
    sameStrings(x.osFeatures ?? [], y.osFeatures ?? [])
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** True for `unknown/unknown`, the platform buildx gives the attestation manifests it adds to an index. */
export function isUnknownPlatform(p: Platform): boolean {
  return normalizeOS(text(p.os)) === 'unknown' && text(p.architecture).toLowerCase() === 'unknown';
}
