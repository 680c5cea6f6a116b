// Checking many (image, target) pairs at once: images are read concurrently, each manifest and config once, and
// every pair gets one verdict per platform its target runs.
import type { ContentStore } from '../image/index.js';
import type { Platform } from '../platform/index.js';
import { mapLimit } from '../util/map-limit.js';
import { addConfigPlatform, FactCache, gatherFacts } from './gather.js';
import { type EntryFacts, type ImageFacts, judge, type Reason, type TargetRule, type Verdict } from './verdict.js';

/** Where a checked image came from in a deployment spec. */
export interface CheckSource {
  file: string;
  path: string;
  name: string;
}

export interface CheckItem {
  /** The store and reference of the image; items with the same `key` share reads. */
  store: ContentStore;
  reference: string;
  /** The image as the user or the spec named it. */
  image: string;
  /** Identifies the image across items (default: `image`). */
  key?: string;
  targets: TargetRule[];
  source?: CheckSource | null;
}

export interface CheckResultEntry {
  image: string;
  digest: string;
  target: string | null;
  platform: string;
  fits: boolean;
  reasons: Reason[];
  source: CheckSource | null;
}

export interface CheckResult {
  fits: boolean;
  results: CheckResultEntry[];
}

/** Looks inside the layers of the image a verdict selected; returns the deep reasons. */
export type DeepAnalyzer = (request: {
  cache: FactCache;
  reference: string;
  entry: EntryFacts;
  platform: Platform;
  signal?: AbortSignal;
}) => Promise<Reason[]>;

export interface RunChecksOptions {
  signal?: AbortSignal;
  concurrency?: number;
  /** With `--deep`: analyse the entrypoint of each selected image. */
  deep?: DeepAnalyzer;
  /** Names the suggested copy command's source and destination. */
  copyHint?: (item: CheckItem) => { source: string; destination: string } | undefined;
}

export async function runChecks(items: CheckItem[], options: RunChecksOptions = {}): Promise<CheckResult> {
  const caches = new Map<string, FactCache>();
  const facts = new Map<string, Promise<ImageFacts>>();
  const cacheOf = (item: CheckItem): FactCache => {
    const key = item.key ?? item.image;
    let cache = caches.get(key);
    if (!cache) {
      cache = new FactCache(item.store, options.signal);
      caches.set(key, cache);
    }
    return cache;
  };
  const factsOf = (item: CheckItem): Promise<ImageFacts> => {
    const key = item.key ?? item.image;
    let p = facts.get(key);
    if (!p) {
      p = gatherFacts(cacheOf(item), item.reference, item.image);
      facts.set(key, p);
    }
    return p;
  };

  const perItem = await mapLimit(items, options.concurrency ?? 8, async (item) => {
    const cache = cacheOf(item);
    const f = await factsOf(item);
    const out: CheckResultEntry[] = [];
    for (const target of item.targets) {
      const hint = options.copyHint?.(item);
      const first = judge(f, target, hint ? { copyHint: hint } : {});
      // Cross-check the config of each selected entry (fetched once per entry), then judge again with it.
      const selected = unique(first.flatMap((v) => (v.selected ? [v.selected] : [])));
      await Promise.all(
        selected.filter((e) => !e.configPlatform).map((e) => addConfigPlatform(cache, item.reference, e)),
      );
      const verdicts: Verdict[] = judge(f, target, hint ? { copyHint: hint } : {});
      for (const [i, v] of verdicts.entries()) {
        if (options.deep && v.selected) {
          // judge() returns one verdict per target platform, in order.
          const wanted = target.platforms[i] ?? v.selected.platform;
          const deepReasons = await options.deep({
            cache,
            reference: item.reference,
            entry: v.selected,
            platform: wanted,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          v.reasons.push(...deepReasons);
          v.fits = !v.reasons.some((r) => r.severity !== 'warning');
        }
        out.push({
          image: v.image,
          digest: v.digest,
          target: v.target,
          platform: v.platform,
          fits: v.fits,
          reasons: v.reasons,
          source: item.source ?? null,
        });
      }
    }
    return out;
  });
  const results = perItem.flat();
  return { fits: results.every((r) => r.fits), results };
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
