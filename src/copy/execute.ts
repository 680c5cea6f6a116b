// The I/O half of copy: bottom-up, bounded, each digest moved at most once, the tag written last. A destination
// never holds a tag (or an index) that points at content it does not have.
import type { Digest } from '../digest/index.js';
import { isDigest } from '../digest/index.js';
import { ArchfitError, isArchfitError, quote, throwIfAborted } from '../errors.js';
import {
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  getConfig,
  isIndexMediaType,
  isNondistributableMediaType,
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
import { type CopyPlan, planCopy } from './plan.js';

export type BlobAction = 'copy' | 'mount' | 'skip';

export type CopyEvent =
  | { type: 'plan'; plan: CopyPlan; blobs: number; bytes: number }
  | { type: 'blob-start'; digest: Digest; size: number; action: BlobAction }
  | { type: 'blob-progress'; digest: Digest; bytes: number; size: number }
  | { type: 'blob-done'; digest: Digest; size: number; action: BlobAction }
  | { type: 'manifest'; digest: Digest; mediaType: string; action: 'put' | 'skip' }
  | { type: 'tag'; reference: string; digest: Digest };

export interface CopyOptions {
  /** Keep only these platforms (exact after normalisation). One platform: the destination gets that image manifest. */
  platforms?: Array<Platform | string>;
  /** Keep attestations of kept platforms in a rewritten index (default true). */
  attestations?: boolean;
  /** Concurrent blob transfers (default 4). */
  jobs?: number;
  /** Plan, check what the destination has, push nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: CopyEvent) => void;
  /** How source and destination are named in results and messages. */
  sourceReference?: string;
  destinationReference?: string;
  /**
   * Called after planning and before anything is pushed, with the platforms the destination will hold and whether its
   * top manifest is an index; throw to refuse the copy (the `--target` check).
   */
  beforePush?: (facts: { platforms: string[]; topIsIndex: boolean; topMediaType: string }) => void | Promise<void>;
}

export interface CopyResult {
  source: { reference: string; digest: Digest };
  destination: { reference: string; digest: Digest };
  platforms: string[];
  rewritten: boolean;
  blobs: { copied: number; mounted: number; skipped: number };
  manifests: { put: number; skipped: number };
  bytes: number;
  dryRun: boolean;
}

const MAX_NESTING = 4;

interface ManifestNode {
  descriptor: Descriptor;
  /** The manifests an index lists (none for an image manifest, or when it is already present). */
  children: Digest[];
  bytes: Uint8Array;
  mediaType: string;
  /** Already at the destination: nothing below it needs copying. */
  present: boolean;
}

/**
 * Copies `sourceRef` (tag or digest) from `source` to `destinationRef` (tag or digest) in `destination`.
 */
export async function copy(
  source: ContentStore,
  sourceRef: string,
  destination: ContentStore,
  destinationRef: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const signal = options.signal;
  const call = signal ? { signal } : {};
  const emit = options.onEvent ?? (() => {});
  const srcName = options.sourceReference ?? source.description;
  const dstName = options.destinationReference ?? destination.description;
  const filtering = (options.platforms?.length ?? 0) > 0;
  if (!destination.writable && options.dryRun !== true) {
    throw new ArchfitError('INVALID_ARGUMENT', `${quote(dstName)} cannot be written to`);
  }

  // A full copy whose destination tag already points at the source digest is done: two HEAD requests.
  if (!filtering) {
    // Both sides at once: each first request also finds its registry's protocol and auth. When both fail, the
    // source's error is the one reported, as when they were asked one after the other.
    const [srcResult, dstResult] = await Promise.allSettled([
      source.resolve(sourceRef, call),
      resolveOrUndefined(destination, destinationRef, call),
    ]);
    if (srcResult.status === 'rejected') throw srcResult.reason;
    if (dstResult.status === 'rejected') throw dstResult.reason;
    const srcDesc = srcResult.value;
    const dstDesc = dstResult.value;
    if (dstDesc && dstDesc.digest === srcDesc.digest) {
      return {
        source: { reference: srcName, digest: srcDesc.digest },
        destination: { reference: dstName, digest: dstDesc.digest },
        platforms: [],
        rewritten: false,
        blobs: { copied: 0, mounted: 0, skipped: 0 },
        manifests: { put: 0, skipped: 1 },
        bytes: 0,
        dryRun: options.dryRun === true,
      };
    }
    sourceRef = srcDesc.digest;
  }

  const top = await source.getManifest(sourceRef, call);
  const plan = planCopy(top, {
    platforms: options.platforms,
    attestations: options.attestations,
    source: srcName,
  });

  // Manifests to place below the top one, children first; and the blobs they need.
  const nodes: ManifestNode[] = [];
  const blobs = new Map<string, Descriptor>();
  let platforms = plan.platforms;
  const seen = new Set<string>();

  const collect = async (fetched: FetchedManifest, depth: number): Promise<void> => {
    if (fetched.parsed.kind === 'image') {
      const m = fetched.parsed.manifest;
      for (const d of [m.config, ...m.layers]) {
        if (isNondistributableMediaType(d.mediaType) && (d.urls?.length ?? 0) > 0) continue;
        if (!blobs.has(d.digest)) blobs.set(d.digest, d);
      }
      return;
    }
    if (depth >= MAX_NESTING) {
      throw new ArchfitError('MANIFEST_INVALID', `${srcName}: indexes nest deeper than ${MAX_NESTING} levels`);
    }
    await visitChildren(fetched.parsed.index.manifests, depth + 1);
  };

  const visitChildren = async (children: Descriptor[], depth: number): Promise<void> => {
    // Each digest once, also when one index lists it many times (fan-out).
    const fresh: Descriptor[] = [];
    for (const d of children) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      fresh.push(d);
    }
    const results = await mapLimit(fresh, options.jobs ?? 4, async (d) => {
      const present = await destination.hasManifest(d, call);
      if (present) return { d, present, fetched: undefined };
      return { d, present, fetched: await source.getManifest(d.digest, { ...call, expected: d }) };
    });
    for (const { d, present, fetched } of results) {
      if (fetched) await collect(fetched, depth);
      nodes.push({
        descriptor: d,
        children: fetched?.parsed.kind === 'index' ? fetched.parsed.index.manifests.map((c) => c.digest) : [],
        bytes: fetched?.bytes ?? new Uint8Array(0),
        mediaType: fetched?.parsed.mediaType ?? d.mediaType,
        present,
      });
    }
  };

  let topBytes: Uint8Array;
  let topDescriptor: Descriptor;
  let topMediaType: string;
  if (plan.top.kind === 'child') {
    const child = await source.getManifest(plan.top.child.digest, { ...call, expected: plan.top.child });
    await collect(child, 1);
    topBytes = child.bytes;
    topDescriptor = child.descriptor;
    topMediaType = child.parsed.mediaType;
  } else {
    if (plan.top.kind === 'same' && top.parsed.kind === 'image') {
      await collect(top, 0);
      const config = await getConfig(source, top.parsed.manifest.config, call);
      const declared = fromSpecPlatform(config);
      platforms = [formatPlatform(declared)];
      if (filtering) {
        const actual = normalizePlatform(declared);
        const wanted = (options.platforms ?? []).map((p) => (typeof p === 'string' ? parsePlatform(p) : p));
        if (!wanted.some((w) => platformMatcher(w, 'exact').match(actual))) {
          throw noMatchingPlatform(wanted, [formatPlatform(actual)], srcName);
        }
        platforms = [formatPlatform(actual)];
      }
    } else {
      await visitChildren(plan.children, 1);
    }
    topBytes = plan.top.bytes;
    topDescriptor = plan.top.descriptor;
    topMediaType = plan.top.kind === 'rewritten' ? plan.top.descriptor.mediaType : top.parsed.mediaType;
  }

  if (isDigest(destinationRef) && destinationRef !== topDescriptor.digest) {
    throw new ArchfitError(
      'INVALID_ARGUMENT',
      `destination ${quote(dstName)} names digest ${destinationRef}, but the copy produces ${topDescriptor.digest}`,
    );
  }

  const totalBytes = [...blobs.values()].reduce((n, d) => n + d.size, 0);
  emit({ type: 'plan', plan, blobs: blobs.size, bytes: totalBytes });
  await options.beforePush?.({ platforms, topIsIndex: isIndexMediaType(topMediaType), topMediaType });

  const counts = { copied: 0, mounted: 0, skipped: 0 };
  let bytes = 0;
  const canMount = destination.canMount?.(source) === true && destination.mountBlob !== undefined;
  await mapLimit([...blobs.values()], options.jobs ?? 4, async (d) => {
    throwIfAborted(signal, dstName);
    if (await destination.hasBlob(d, call)) {
      counts.skipped++;
      emit({ type: 'blob-done', digest: d.digest, size: d.size, action: 'skip' });
      return;
    }
    if (options.dryRun === true) {
      counts[canMount ? 'mounted' : 'copied']++;
      bytes += canMount ? 0 : d.size;
      emit({ type: 'blob-done', digest: d.digest, size: d.size, action: canMount ? 'mount' : 'copy' });
      return;
    }
    if (canMount && (await destination.mountBlob!(d, source, call))) {
      counts.mounted++;
      emit({ type: 'blob-done', digest: d.digest, size: d.size, action: 'mount' });
      return;
    }
    emit({ type: 'blob-start', digest: d.digest, size: d.size, action: 'copy' });
    await destination.pushBlob(d, () => source.openBlob(d, call), {
      ...call,
      // Progress costs a stream stage per blob: asked for only when someone listens.
      ...(options.onEvent
        ? { onProgress: (n: number) => emit({ type: 'blob-progress', digest: d.digest, bytes: n, size: d.size }) }
        : {}),
    });
    counts.copied++;
    bytes += d.size;
    emit({ type: 'blob-done', digest: d.digest, size: d.size, action: 'copy' });
  });

  // Manifests bottom-up: image manifests first, then the indexes over them, level by level (an index only after all
  // it lists); the manifests of one level at the same time, and their events level by level.
  const manifestCounts = { put: 0, skipped: 0 };
  const byDigest = new Map(nodes.map((n) => [n.descriptor.digest, n]));
  const heights = new Map<ManifestNode, number>();
  const height = (node: ManifestNode): number => {
    let h = heights.get(node);
    if (h === undefined) {
      h = 0;
      for (const c of node.children) {
        const child = byDigest.get(c);
        if (child) h = Math.max(h, height(child) + 1);
      }
      heights.set(node, h);
    }
    return h;
  };
  const levels = [...new Set(nodes.map(height))].sort((x, y) => x - y);
  for (const level of levels) {
    const todo = nodes.filter((n) => height(n) === level);
    await mapLimit(todo, options.jobs ?? 4, async (node) => {
      if (node.present || options.dryRun === true) return;
      throwIfAborted(signal, dstName);
      await destination.putManifest(node.bytes, node.mediaType, call);
    });
    for (const node of todo) {
      manifestCounts[node.present ? 'skipped' : 'put']++;
      emit({
        type: 'manifest',
        digest: node.descriptor.digest,
        mediaType: node.mediaType,
        action: node.present ? 'skip' : 'put',
      });
    }
  }

  if (options.dryRun !== true) {
    throwIfAborted(signal, dstName);
    const tag = isDigest(destinationRef) ? undefined : destinationRef;
    const put = await destination.putManifest(topBytes, topMediaType, { ...call, ...(tag ? { tag } : {}) });
    if (put.digest !== topDescriptor.digest) {
      throw new ArchfitError(
        'DIGEST_MISMATCH',
        `${dstName}: stored manifest digest ${put.digest}, expected ${topDescriptor.digest}`,
      );
    }
    manifestCounts.put++;
    emit({ type: 'tag', reference: dstName, digest: topDescriptor.digest });
  }

  return {
    source: { reference: srcName, digest: top.descriptor.digest },
    destination: { reference: dstName, digest: topDescriptor.digest },
    platforms,
    rewritten: plan.rewritten,
    blobs: counts,
    manifests: manifestCounts,
    bytes,
    dryRun: options.dryRun === true,
  };
}

async function resolveOrUndefined(
  store: ContentStore,
  reference: string,
  call: { signal?: AbortSignal },
): Promise<Descriptor | undefined> {
  try {
    return await store.resolve(reference, call);
  } catch (error) {
    if (
      isArchfitError(error) &&
      (error.code === 'MANIFEST_UNKNOWN' || error.code === 'NAME_UNKNOWN' || error.code === 'NOT_FOUND')
    ) {
      return undefined;
    }
    throw error;
  }
}
