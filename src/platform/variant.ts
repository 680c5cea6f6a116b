// Which CPU variants run on which: a variant is read as fixed text around a dotted run of numbers ("v3", "v8.2",
// "power10", "rva23u64"), and a host runs an image whose numbers are not higher than its own (containerd's rules).

/** A variant split into the text before its numbers, the numbers, and the text after them. */
export interface VersionedVariant {
  prefix: string;
  numbers: number[];
  suffix: string;
}

// Non-digits, then numbers joined by single dots, then anything. A dot only ever separates two numbers: in "v8." the
// trailing dot is part of the suffix.
const VERSIONED = /^([^0-9]*)([0-9]+(?:\.[0-9]+)*)([\s\S]*)$/;

/** The parts of a variant, or undefined when it has no number (or a number too long to be a real version). */
export function parseVersionedVariant(variant: string): VersionedVariant | undefined {
  const m = VERSIONED.exec(variant);
  if (!m) return undefined;
  const numbers = (m[2] ?? '').split('.').map(Number);
  if (!numbers.every(Number.isSafeInteger)) return undefined;
  return { prefix: m[1] ?? '', numbers, suffix: m[3] ?? '' };
}

/** Compares version tuples most significant first; a missing trailing number counts as 0 (v8 is v8.0). */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Both variants' numbers when they share prefix and suffix (so only the numbers differ). */
function sameShape(host: string, image: string): { host: number[]; image: number[] } | undefined {
  const h = parseVersionedVariant(host);
  const i = parseVersionedVariant(image);
  if (!h || !i || h.prefix !== i.prefix || h.suffix !== i.suffix) return undefined;
  return { host: h.numbers, image: i.numbers };
}

/**
 * For architectures with a lowest level (amd64 from v1, arm from v5), where no variant means that level: the image
 * runs when its level is between the floor and the host's level.
 */
export function numberedVariantMatch(host: string, image: string, floor: string): boolean {
  const h = host || floor;
  const i = image || floor;
  if (h === i) return true;
  const shape = sameShape(h, i);
  const lowest = parseVersionedVariant(floor);
  if (!shape || !lowest) return false;
  return compareVersions(shape.image, lowest.numbers) >= 0 && compareVersions(shape.image, shape.host) <= 0;
}

/**
 * For architectures without their own rules (ppc64le "powerN", riscv64 "rvaNNu64"): an image without a variant
 * runs on any host of the architecture; otherwise the shapes must agree and the image's numbers not be higher.
 */
export function genericVariantMatch(host: string, image: string): boolean {
  if (image === '' || image === host) return true;
  const shape = sameShape(host, image);
  return shape !== undefined && compareVersions(shape.image, shape.host) <= 0;
}

/** Armv8 stops at 8.9; Armv9.N carries the baseline of Armv8.(N+5). */
const ARM64_LAST_V8_MINOR = 9;
const ARM64_V9_OFFSET = 5;

/**
 * arm64: within a major version, lower minors run on higher ones; a v9.N host also runs v8.0 to v8.(N+5), capped at
 * v8.9. No variant means v8.
 */
export function arm64VariantMatch(host: string, image: string): boolean {
  const h = host || 'v8';
  const i = image || 'v8';
  if (h === i) return true;
  const hv = parseVersionedVariant(h);
  const iv = parseVersionedVariant(i);
  const plain = (v: VersionedVariant | undefined): v is VersionedVariant =>
    v !== undefined && v.prefix === 'v' && v.suffix === '' && v.numbers.length <= 2;
  if (!plain(hv) || !plain(iv)) return false;
  const [hostMajor = 0, hostMinor = 0] = hv.numbers;
  const [imageMajor = 0, imageMinor = 0] = iv.numbers;
  if (imageMajor === hostMajor) return imageMinor <= hostMinor;
  if (hostMajor === 9 && imageMajor === 8) {
    return imageMinor <= Math.min(hostMinor + ARM64_V9_OFFSET, ARM64_LAST_V8_MINOR);
  }
  return false;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The end of the run of digits starting at `start` (`start` itself when there is none). */
function digitsEnd(s: string, start: number): number {
  let end = start;
  while (end < s.length && isDigit(s.charCodeAt(end))) end++;
  return end;
}

/**
 * Natural order: runs of digits compare as numbers ("power9" < "power10", "v8.9" < "v8.10"), the rest by character
 * code. Numerically equal runs with more leading zeros sort later, so only equal strings compare 0.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const endA = digitsEnd(a, i);
    const endB = digitsEnd(b, j);
    if (endA > i && endB > j) {
      const runA = a.slice(i, endA);
      const runB = b.slice(j, endB);
      const na = runA.replace(/^0+/, '');
      const nb = runB.replace(/^0+/, '');
      if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
      if (na !== nb) return na < nb ? -1 : 1;
      if (runA.length !== runB.length) return runA.length < runB.length ? -1 : 1;
      i = endA;
      j = endB;
      continue;
    }
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (ca !== cb) return ca < cb ? -1 : 1;
    i++;
    j++;
  }
  const restA = a.length - i;
  const restB = b.length - j;
  return restA === restB ? 0 : restA < restB ? -1 : 1;
}
