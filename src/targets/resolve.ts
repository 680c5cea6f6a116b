// Target specs: `name[:option]`, case-insensitive, resolved against the table. Two targets take free-form
// options: `k8s:<arch>[,<arch>…]` (node architectures, as the kubernetes.io/arch label names them) and
// `platform:<platform>[,…]` (the generic target of a given platform).
import { ArchfitError, quote } from '../errors.js';
import { formatPlatform, isKnownArchitecture, isKnownOS, type Platform, parsePlatform } from '../platform/index.js';
import { TARGETS } from './table.js';
import type { ResolvedTarget, TargetInfo, TargetOption, TargetSource } from './types.js';

const K8S = 'k8s';
const PLATFORM = 'platform';

/** Example node architectures for messages: the `kubernetes.io/arch` values clusters commonly have. */
const K8S_ARCH_EXAMPLES = 'amd64, arm64, arm, ppc64le, s390x, 386, riscv64';

function clonePlatform(p: Platform): Platform {
  const copy: Platform = { os: p.os, architecture: p.architecture };
  if (p.variant !== undefined) copy.variant = p.variant;
  if (p.osVersion !== undefined) copy.osVersion = p.osVersion;
  if (p.osFeatures !== undefined) copy.osFeatures = [...p.osFeatures];
  return copy;
}

function cloneSource(s: TargetSource): TargetSource {
  const copy: TargetSource = { kind: s.kind, note: s.note };
  if (s.url !== undefined) copy.url = s.url;
  if (s.also !== undefined) copy.also = [...s.also];
  return copy;
}

function cloneOption(o: TargetOption): TargetOption {
  return { ...o, aliases: [...o.aliases], platforms: o.platforms.map(clonePlatform) };
}

/** Every target, in a stable order: fresh copies, so a caller may change them freely. */
export function listTargets(): TargetInfo[] {
  return TARGETS.map((t) => ({
    ...t,
    aliases: [...t.aliases],
    platforms: t.platforms.map(clonePlatform),
    requiresInIndex: t.requiresInIndex.map(clonePlatform),
    mediaTypes: t.mediaTypes === undefined ? undefined : [...t.mediaTypes],
    options: t.options.map(cloneOption),
    source: cloneSource(t.source),
  }));
}

const BY_NAME = new Map<string, TargetInfo>();
for (const t of TARGETS) {
  for (const n of [t.name, ...t.aliases]) BY_NAME.set(n, t);
}

function findTarget(name: string): TargetInfo | undefined {
  return BY_NAME.get(name);
}

function targetNames(): string {
  return TARGETS.map((t) => t.name).join(', ');
}

/** Levenshtein distance, for "did you mean" on a mistyped name. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

function suggestion(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${quote(best)}?)`;
}

function unknownTarget(spec: string, message: string): ArchfitError {
  return new ArchfitError('UNKNOWN_TARGET', message, { details: { input: spec } });
}

function invalidTarget(spec: unknown, reason: string): ArchfitError {
  return new ArchfitError('INVALID_ARGUMENT', `invalid target ${quote(spec)}: ${reason}`, {
    details: { input: spec },
  });
}

function resolved(
  t: TargetInfo,
  spec: string,
  option: string | undefined,
  platforms: readonly Platform[],
): ResolvedTarget {
  return {
    name: t.name,
    spec,
    title: t.title,
    option,
    platforms: platforms.map(clonePlatform),
    acceptsIndex: t.acceptsIndex,
    requiresInIndex: t.requiresInIndex.map(clonePlatform),
    mediaTypes: t.mediaTypes === undefined ? undefined : [...t.mediaTypes],
    source: cloneSource(t.source),
  };
}

function findOption(t: TargetInfo, option: string): TargetOption | undefined {
  return t.options.find((o) => o.name === option || o.aliases.includes(option));
}

/** The platform of one `k8s:` entry: a node architecture (`arm64`, `aarch64`) or a whole platform (`windows/amd64`). */
function k8sPlatform(spec: string, entry: string): Platform {
  if (entry.includes('/')) {
    const p = parsePlatform(entry);
    if (!isKnownOS(p.os) || !isKnownArchitecture(p.architecture)) {
      throw unknownTarget(spec, `unknown node platform ${quote(entry)} in target ${quote(spec)}`);
    }
    return p;
  }
  if (!isKnownArchitecture(entry)) {
    throw unknownTarget(
      spec,
      `unknown node architecture ${quote(entry)} in target ${quote(spec)}: use kubernetes.io/arch values such as ` +
        K8S_ARCH_EXAMPLES,
    );
  }
  return parsePlatform(`linux/${entry}`);
}

/** How a k8s entry is written back: the bare architecture for Linux without a variant, else the platform. */
function k8sEntry(p: Platform): string {
  return p.os === 'linux' && p.variant === undefined && p.osVersion === undefined && p.osFeatures === undefined
    ? p.architecture
    : formatPlatform(p);
}

function listEntries(spec: string, option: string, what: string): string[] {
  const entries = option.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) throw invalidTarget(spec, `empty ${what} in the list`);
  return entries;
}

/** Platforms without duplicates, in the order given. */
function uniquePlatforms(platforms: readonly Platform[]): Platform[] {
  const seen = new Set<string>();
  return platforms.filter((p) => {
    const key = formatPlatform(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function resolveK8s(spec: string, option: string | undefined): ResolvedTarget {
  const t = findTarget(K8S)!;
  if (option === undefined || option.trim() === '') {
    throw invalidTarget(spec, `name the node architectures, e.g. "k8s:amd64" or "k8s:amd64,arm64"`);
  }
  const platforms = uniquePlatforms(listEntries(spec, option, 'node architecture').map((e) => k8sPlatform(spec, e)));
  return resolved(t, `${K8S}:${platforms.map(k8sEntry).join(',')}`, platforms.map(k8sEntry).join(','), platforms);
}

function resolvePlatforms(spec: string, option: string | undefined): ResolvedTarget {
  if (option === undefined || option.trim() === '') {
    throw invalidTarget(spec, 'name the platform, e.g. "platform:linux/arm64"');
  }
  return platformTarget(listEntries(spec, option, 'platform'));
}

/**
 * Resolves a target spec: `name` or `name:option`, names and options case-insensitive, surrounding spaces ignored
 * (`LAMBDA:ARM64` is `lambda:arm64`; `ecs:amd64` is `ecs:x86_64`). `k8s:` takes a comma-separated list of node
 * architectures (`k8s:amd64,arm64`; an entry may be a whole platform such as `windows/amd64`); `platform:` takes
 * platform specifiers (`platform:linux/arm/v7`). The result's `spec` is the canonical form and resolves to the same.
 *
 * @throws ArchfitError UNKNOWN_TARGET for a name, option or architecture not in the table (quoting the input and
 *   listing the names), INVALID_ARGUMENT for a spec that is empty or lacks a required option, INVALID_PLATFORM for a
 *   bad platform in `platform:`.
 */
export function resolveTarget(spec: string): ResolvedTarget {
  if (typeof spec !== 'string') throw invalidTarget(spec, 'not a string');
  const trimmed = spec.trim();
  if (trimmed === '') throw invalidTarget(spec, 'empty');
  const colon = trimmed.indexOf(':');
  const name = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim().toLowerCase();
  const rawOption = colon < 0 ? undefined : trimmed.slice(colon + 1);
  if (name === '') throw invalidTarget(spec, 'no target name before ":"');

  const t = findTarget(name);
  if (t === undefined) {
    const names = [...BY_NAME.keys()];
    throw unknownTarget(
      spec,
      `unknown target ${quote(spec)}${suggestion(name, names)}: expected one of ${targetNames()}`,
    );
  }
  if (t.name === K8S) return resolveK8s(spec, rawOption);
  if (t.name === PLATFORM) return resolvePlatforms(spec, rawOption);

  if (rawOption === undefined) {
    const option = t.default === undefined ? undefined : findOption(t, t.default);
    return resolved(t, t.name, undefined, option?.platforms ?? t.platforms);
  }
  const option = rawOption.trim().toLowerCase();
  if (option === '') throw invalidTarget(spec, `no option after "${t.name}:"`);
  if (t.options.length === 0) {
    throw unknownTarget(spec, `unknown option ${quote(option)} in target ${quote(spec)}: ${t.name} takes no option`);
  }
  const found = findOption(t, option);
  if (found === undefined) {
    const names = t.options.map((o) => o.name);
    throw unknownTarget(
      spec,
      `unknown option ${quote(option)} in target ${quote(spec)}${suggestion(option, names)}: ` +
        `${t.name} takes ${names.join(', ')}`,
    );
  }
  return resolved(t, `${t.name}:${found.name}`, found.name, found.platforms);
}

function toPlatform(p: Platform | string): Platform {
  if (typeof p === 'string') return parsePlatform(p);
  if (typeof p?.os !== 'string' || p.os === '' || typeof p.architecture !== 'string' || p.architecture === '') {
    throw new ArchfitError('INVALID_PLATFORM', `invalid platform ${quote(JSON.stringify(p))}: no OS or architecture`, {
      details: { input: p },
    });
  }
  // Through the specifier, so aliases and default variants read the same as a typed platform.
  return parsePlatform(formatPlatform(p));
}

/**
 * The generic target of one or more given platforms (`--platform linux/arm64`, a Compose service's `platform:`):
 * each must be runnable; any manifest type and an index are accepted. Its spec is `platform:<p>[,<p>…]`.
 *
 * @throws ArchfitError INVALID_PLATFORM for a bad platform.
 */
export function platformTarget(platform: Platform | string | readonly (Platform | string)[]): ResolvedTarget {
  const list = Array.isArray(platform) ? platform : [platform as Platform | string];
  if (list.length === 0) throw invalidTarget('platform:', 'no platform given');
  const platforms = uniquePlatforms(list.map(toPlatform));
  const t = findTarget(PLATFORM)!;
  const formatted = platforms.map((p) => formatPlatform(p)).join(',');
  const target = resolved(t, `${PLATFORM}:${formatted}`, formatted, platforms);
  return { ...target, title: `Platform ${formatted}` };
}
