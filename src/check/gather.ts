// The I/O half of check: read what a verdict needs of an image (its top manifest, and the configs of the entries a
// target would run), each manifest and config at most once however many targets ask.
import { ArchfitError } from '../errors.js';
import {
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  getConfig,
  type ImageConfig,
  isRunnable,
} from '../image/index.js';
import { fromSpecPlatform } from '../platform/index.js';
import type { EntryFacts, ImageFacts } from './verdict.js';

/** Memoises manifest and config reads of one store, so concurrent checks share requests. */
export class FactCache {
  private readonly manifests = new Map<string, Promise<FetchedManifest>>();
  private readonly configs = new Map<string, Promise<ImageConfig>>();

  constructor(
    readonly store: ContentStore,
    private readonly signal?: AbortSignal,
  ) {}

  manifest(reference: string, expected?: Descriptor): Promise<FetchedManifest> {
    let p = this.manifests.get(reference);
    if (!p) {
      p = this.store.getManifest(reference, {
        ...(this.signal ? { signal: this.signal } : {}),
        ...(expected ? { expected } : {}),
      });
      this.manifests.set(reference, p);
    }
    return p;
  }

  config(descriptor: Descriptor): Promise<ImageConfig> {
    let p = this.configs.get(descriptor.digest);
    if (!p) {
      p = getConfig(this.store, descriptor, this.signal ? { signal: this.signal } : {});
      this.configs.set(descriptor.digest, p);
    }
    return p;
  }
}

/** Facts from the top manifest; for a single manifest the config is read (its platform lives there). */
export async function gatherFacts(cache: FactCache, reference: string, image: string): Promise<ImageFacts> {
  const top = await cache.manifest(reference);
  if (top.parsed.kind === 'image') {
    const config = await cache.config(top.parsed.manifest.config);
    const platform = fromSpecPlatform(config);
    return {
      image,
      digest: top.descriptor.digest,
      mediaType: top.parsed.mediaType,
      kind: 'image',
      entries: [{ digest: top.descriptor.digest, platform, configPlatform: platform }],
    };
  }
  const entries: EntryFacts[] = top.parsed.index.manifests
    .filter(isRunnable)
    .map((d) => ({ digest: d.digest, platform: fromSpecPlatform(d.platform!) }));
  return { image, digest: top.descriptor.digest, mediaType: top.parsed.mediaType, kind: 'index', entries };
}

/** Reads the config of an index entry and records its platform (for the CONFIG_PLATFORM_MISMATCH cross-check). */
export async function addConfigPlatform(cache: FactCache, reference: string, entry: EntryFacts): Promise<ImageConfig> {
  const top = await cache.manifest(reference);
  const descriptor =
    top.parsed.kind === 'index' ? top.parsed.index.manifests.find((d) => d.digest === entry.digest) : top.descriptor;
  const child = top.parsed.kind === 'index' ? await cache.manifest(entry.digest, descriptor) : top;
  if (child.parsed.kind !== 'image') {
    throw new ArchfitError(
      'MANIFEST_INVALID',
      `${cache.store.description}: entry ${entry.digest} is listed as an image but is an index`,
    );
  }
  const config = await cache.config(child.parsed.manifest.config);
  entry.configPlatform = fromSpecPlatform(config);
  return config;
}
