// inspect: what platforms an image holds, in as few requests as the question needs. The top manifest is fetched
// once; child manifests and configs only for the entry a platform selects, or for every entry with `full`.
import type { Digest } from '../digest/index.js';
import { ArchfitError } from '../errors.js';
import {
  attestedDigest,
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  getConfig,
  type ImageConfig,
  type ImageManifest,
  isAttestation,
  isImageManifestMediaType,
  isIndexMediaType,
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
import { mapLimit } from '../util/map-limit.js';

export type ManifestKind = 'image' | 'attestation' | 'index' | 'artifact';

export interface ManifestSummary {
  digest: Digest;
  mediaType: string;
  /** Size of the manifest document itself (the descriptor's size). */
  size: number;
  /** The platform the index entry claims, formatted ("linux/arm64/v8"); null for attestations and artifacts. */
  platform: string | null;
  kind: ManifestKind;
  /** For attestations: the digest of the image they attest. */
  attests?: string;
  /** Compressed size of config + layers, when the child manifest was fetched. */
  imageSize?: number;
  annotations?: Record<string, string>;
}

export interface ConfigSummary {
  os: string;
  architecture: string;
  variant: string | null;
  osVersion: string | null;
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  user: string | null;
  workingDir: string | null;
  created: string | null;
  layers: number;
}

export interface SelectedImage {
  digest: Digest;
  mediaType: string;
  /** The platform of the selected entry as the index states it (or the config's, for a single manifest). */
  platform: string;
  /** Compressed total of config and layers. */
  size: number;
  config: ConfigSummary;
  configDigest: Digest;
  layers: Array<{ digest: Digest; mediaType: string; size: number }>;
}

export interface InspectResult {
  reference: string;
  digest: Digest;
  mediaType: string;
  kind: 'index' | 'image';
  /** Compressed total of every config and layer reachable, when known (single manifest, or `full`). */
  size: number | null;
  /** Runnable platforms in index order, attestations excluded. */
  platforms: string[];
  manifests: ManifestSummary[];
  selected?: SelectedImage;
  warnings: string[];
}

export interface InspectOptions {
  /** Select the manifest a host of this platform would pull (containerd's compatible matching). */
  platform?: Platform | string;
  /** Fetch every child manifest and config: sizes and the platform cross-check for all entries. */
  full?: boolean;
  /** How the reference is shown in the result (defaults to the store's description). */
  displayReference?: string;
  /** Concurrency of child fetches. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Raw access used by `--raw` and `--config`, and by `inspect` itself. */
export interface InspectContext {
  top: FetchedManifest;
  selectedManifest?: FetchedManifest;
  selectedConfigBytes?: Uint8Array;
}

/** Inspects the image `reference` (a tag or digest) in `store`. */
export async function inspect(
  store: ContentStore,
  reference: string,
  options: InspectOptions = {},
): Promise<InspectResult> {
  return (await inspectWithContext(store, reference, options)).result;
}

export async function inspectWithContext(
  store: ContentStore,
  reference: string,
  options: InspectOptions = {},
): Promise<{ result: InspectResult; context: InspectContext }> {
  const call = options.signal ? { signal: options.signal } : {};
  const top = await store.getManifest(reference, call);
  const displayReference = options.displayReference ?? store.description;
  const warnings: string[] = [];
  const context: InspectContext = { top };
  const wanted = options.platform === undefined ? undefined : toWanted(options.platform);

  if (top.parsed.kind === 'image') {
    const manifest = top.parsed.manifest;
    const config = await getConfig(store, manifest.config, call);
    const platform = formatPlatform(fromSpecPlatform(config));
    const size = imageSize(manifest);
    const summary: ManifestSummary = {
      digest: top.descriptor.digest,
      mediaType: top.parsed.mediaType,
      size: top.descriptor.size,
      platform,
      kind: 'image',
      imageSize: size,
    };
    const result: InspectResult = {
      reference: displayReference,
      digest: top.descriptor.digest,
      mediaType: top.parsed.mediaType,
      kind: 'image',
      size,
      platforms: [platform],
      manifests: [summary],
      warnings,
    };
    if (wanted) {
      if (!platformMatcher(wanted, 'compatible').match(normalizePlatform(fromSpecPlatform(config)))) {
        throw noMatchingPlatform(wanted, [platform], displayReference);
      }
      result.selected = selectedImage(top, manifest, config, platform);
      context.selectedManifest = top;
    }
    return { result, context };
  }

  const index = top.parsed.index;
  const manifests = index.manifests.map((d) => summarise(d));
  const platforms = [
    ...new Set(manifests.filter((m) => m.kind === 'image' && m.platform).map((m) => m.platform as string)),
  ];
  const result: InspectResult = {
    reference: displayReference,
    digest: top.descriptor.digest,
    mediaType: top.parsed.mediaType,
    kind: 'index',
    size: null,
    platforms,
    manifests,
    warnings,
  };
  for (const m of manifests) {
    if (m.kind === 'attestation' && m.attests && !manifests.some((o) => o.digest === m.attests)) {
      warnings.push(`attestation ${m.digest} refers to ${m.attests}, which this index does not list`);
    }
  }

  let selectedIndex = -1;
  if (wanted) {
    selectedIndex = selectEntry(index.manifests, wanted);
    if (selectedIndex === -1) throw noMatchingPlatform(wanted, platforms, displayReference);
  }

  const toFetch = index.manifests
    .map((d, i) => ({ d, i }))
    .filter(
      ({ d, i }) =>
        i === selectedIndex || (options.full === true && isImageManifestMediaType(d.mediaType) && !isAttestation(d)),
    );
  const fetched = await mapLimit(toFetch, options.concurrency ?? 8, async ({ d, i }) => {
    const child = await store.getManifest(d.digest, { ...call, expected: d });
    if (child.parsed.kind !== 'image') {
      throw new ArchfitError(
        'MANIFEST_INVALID',
        `${displayReference}: entry ${d.digest} is listed as an image but is an index`,
      );
    }
    const config = await getConfig(store, child.parsed.manifest.config, call);
    return { i, d, child, manifest: child.parsed.manifest, config };
  });
  let total = options.full === true ? 0 : null;
  for (const { i, d, child, manifest, config } of fetched) {
    const summary = manifests[i]!;
    summary.imageSize = imageSize(manifest);
    if (total !== null) total += summary.imageSize;
    const claimed = d.platform ? fromSpecPlatform(d.platform) : undefined;
    const actual = fromSpecPlatform(config);
    if (claimed && !samePlatformClaim(claimed, actual)) {
      warnings.push(
        `index entry ${d.digest} says ${formatPlatform(claimed)} but its config says ${formatPlatform(actual)}`,
      );
    }
    if (i === selectedIndex) {
      result.selected = selectedImage(child, manifest, config, summary.platform ?? formatPlatform(actual));
      context.selectedManifest = child;
    }
  }
  result.size = total;
  return { result, context };
}

function toWanted(platform: Platform | string): Platform {
  return typeof platform === 'string' ? parsePlatform(platform) : normalizePlatform(platform);
}

function summarise(d: Descriptor): ManifestSummary {
  const attests = attestedDigest(d);
  const kind: ManifestKind = isAttestation(d)
    ? 'attestation'
    : isIndexMediaType(d.mediaType)
      ? 'index'
      : isRunnable(d)
        ? 'image'
        : 'artifact';
  const summary: ManifestSummary = {
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    platform:
      kind === 'image' || kind === 'index' ? (d.platform ? formatPlatform(fromSpecPlatform(d.platform)) : null) : null,
    kind,
  };
  if (attests !== undefined) summary.attests = attests;
  if (d.annotations && Object.keys(d.annotations).length > 0) summary.annotations = d.annotations;
  return summary;
}

/** The index entry a host of `wanted` would pull: compatible matches only, the most preferred first. */
export function selectEntry(entries: readonly Descriptor[], wanted: Platform): number {
  const matcher = platformMatcher(wanted, 'compatible');
  let best = -1;
  let bestPlatform: Platform | undefined;
  entries.forEach((d, i) => {
    if (!isRunnable(d) || !d.platform) return;
    const p = normalizePlatform(fromSpecPlatform(d.platform));
    if (!matcher.match(p)) return;
    if (bestPlatform === undefined || matcher.less(p, bestPlatform)) {
      best = i;
      bestPlatform = p;
    }
  });
  return best;
}

function samePlatformClaim(claimed: Platform, actual: Platform): boolean {
  const a = normalizePlatform(claimed);
  const b = normalizePlatform(actual);
  if (a.os !== b.os || a.architecture !== b.architecture) return false;
  // A config often omits the variant; only a stated, different variant is a disagreement.
  return !(a.variant && b.variant && a.variant !== b.variant);
}

function imageSize(manifest: ImageManifest): number {
  return manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
}

function selectedImage(
  fetched: FetchedManifest,
  manifest: ImageManifest,
  config: ImageConfig,
  platform: string,
): SelectedImage {
  const c = config.config ?? {};
  return {
    digest: fetched.descriptor.digest,
    mediaType: fetched.parsed.mediaType,
    platform,
    size: imageSize(manifest),
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
    config: {
      os: config.os,
      architecture: config.architecture,
      variant: config.variant ?? null,
      osVersion: config['os.version'] ?? null,
      entrypoint: c.Entrypoint ?? null,
      cmd: c.Cmd ?? null,
      env: c.Env ?? [],
      user: c.User || null,
      workingDir: c.WorkingDir || null,
      created: config.created ?? null,
      layers: manifest.layers.length,
    },
  };
}
