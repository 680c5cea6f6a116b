// The pure half of copy: from the source's top manifest and the platforms asked for, decide which manifests go to
// the destination and what the destination's top manifest is (the source's bytes, one child's bytes, or a rewritten
// index). Nothing here does I/O.
import type { Digest } from '../digest/index.js';
import { digestOf } from '../digest/index.js';
import {
  attestedDigest,
  type Descriptor,
  type FetchedManifest,
  type ImageIndex,
  isAttestation,
  isRunnable,
} from '../image/index.js';
import {
  formatPlatform,
  fromSpecPlatform,
  noMatchingPlatform,
  normalizePlatform,
  type Platform,
  parsePlatform,
  platformMatcher,
} from '../platform/index.js';

export type TopPlan =
  /** The source's top manifest, byte for byte. */
  | { kind: 'same'; bytes: Uint8Array; descriptor: Descriptor }
  /** One child of the source index becomes the destination's top manifest. */
  | { kind: 'child'; child: Descriptor; platform: string }
  /** A new index with only the kept entries. */
  | { kind: 'rewritten'; bytes: Uint8Array; descriptor: Descriptor; kept: Descriptor[]; dropped: Descriptor[] };

export interface CopyPlan {
  top: TopPlan;
  /** Index entries (children) to copy, in index order: images, attestations, nested indexes, artifacts. */
  children: Descriptor[];
  /** Runnable platforms the destination ends up with. */
  platforms: string[];
  rewritten: boolean;
}

export interface PlanOptions {
  /** Keep only these platforms (exact after normalisation; arm64 == arm64/v8). Empty or undefined: everything. */
  platforms?: Array<Platform | string> | undefined;
  /** Keep attestations of kept platforms in a rewritten index (default true). */
  attestations?: boolean | undefined;
  /** For messages. */
  source?: string | undefined;
}

function platformOf(d: Descriptor): Platform | undefined {
  return d.platform ? fromSpecPlatform(d.platform) : undefined;
}

export function planCopy(top: FetchedManifest, options: PlanOptions = {}): CopyPlan {
  const wanted = (options.platforms ?? []).map((p) =>
    typeof p === 'string' ? parsePlatform(p) : normalizePlatform(p),
  );
  if (top.parsed.kind === 'image') {
    // A single manifest: the platform lives in its config, which the executor checks (it fetches the config anyway).
    return {
      top: { kind: 'same', bytes: top.bytes, descriptor: top.descriptor },
      children: [],
      platforms: [],
      rewritten: false,
    };
  }
  const index = top.parsed.index;
  const entries = index.manifests;
  const available = entries.filter(isRunnable).map((d) => formatPlatform(platformOf(d) as Platform));
  if (wanted.length === 0) {
    return {
      top: { kind: 'same', bytes: top.bytes, descriptor: top.descriptor },
      children: [...entries],
      platforms: [...new Set(available)],
      rewritten: false,
    };
  }
  const keptImages: Descriptor[] = [];
  for (const w of wanted) {
    const matcher = platformMatcher(w, 'exact');
    const matches = entries.filter((d) => isRunnable(d) && matcher.match(normalizePlatform(platformOf(d) as Platform)));
    if (matches.length === 0) {
      throw noMatchingPlatform(w, available, options.source ?? 'the source');
    }
    for (const m of matches) if (!keptImages.includes(m)) keptImages.push(m);
  }
  const keptDigests = new Set<string>(keptImages.map((d) => d.digest));
  if (keptImages.length === 1) {
    const child = keptImages[0] as Descriptor;
    return {
      top: { kind: 'child', child, platform: formatPlatform(platformOf(child) as Platform) },
      children: [],
      platforms: [formatPlatform(platformOf(child) as Platform)],
      rewritten: false,
    };
  }
  const keepAttestations = options.attestations !== false;
  const kept = entries.filter(
    (d) =>
      keptDigests.has(d.digest) || (keepAttestations && isAttestation(d) && keptDigests.has(attestedDigest(d) ?? '')),
  );
  const dropped = entries.filter((d) => !kept.includes(d));
  const rewrittenIndex: ImageIndex = { ...index, manifests: kept };
  const bytes = new TextEncoder().encode(JSON.stringify(rewrittenIndex));
  const digest: Digest = digestOf(bytes);
  const descriptor: Descriptor = { mediaType: top.parsed.mediaType, digest, size: bytes.byteLength };
  return {
    top: { kind: 'rewritten', bytes, descriptor, kept, dropped },
    children: kept,
    platforms: kept.filter(isRunnable).map((d) => formatPlatform(platformOf(d) as Platform)),
    rewritten: true,
  };
}
