// A `docker save` archive (`docker-archive:FILE[:REF]`), read-only, never loaded into memory: the tar is indexed
// once (headers only) and blobs are read later as byte ranges of the file, through a VerifyingStream.
//
// Two forms exist:
// - legacy (docker before 25, skopeo, crane): `manifest.json` lists, per image, its config file, its RepoTags and
//   its layer tars (uncompressed; sometimes links to one another). There is no manifest, so one is synthesised: a
//   Docker schema 2 manifest whose layers are `application/vnd.docker.image.rootfs.diff.tar` with the config's
//   diff_ids as digests (so reading a layer verifies it against its diff_id), and whose config is the config file.
// - OCI (docker 25+): the tar is also an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) next to
//   `manifest.json`. Its index is preferred, so digests match the ones the registry had; `manifest.json` entries
//   that the index does not cover (untagged images) are synthesised as in the legacy form.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Digest, digestAlgorithm, digestHex, digestOf, parseDigest, verifyBytes } from '../digest/index.js';
import { ArchfitError, isArchfitError, quote } from '../errors.js';
import {
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  type GetManifestOptions,
  isImageManifestMediaType,
  MAX_LAYERS,
  MAX_MANIFEST_BYTES,
  MediaType,
  parseConfig,
  parseManifest,
  type StoreCallOptions,
} from '../image/index.js';
import { DEFAULT_TAG, parseReference } from '../reference/index.js';
import {
  checkedDescriptor,
  DOCKER_LAYER_TAR_MEDIA_TYPE,
  IMAGE_NAME_ANNOTATION,
  looksLikeDigest,
  REF_NAME_ANNOTATION,
} from './common.js';
import { fileError, readRange, throwIfAborted, verifiedFileStream } from './fs-util.js';
import { type TarEntry, TarIndex } from './tar-index.js';

export interface OpenDockerArchiveOptions {
  signal?: AbortSignal;
}

/** One entry of a docker-save `manifest.json`. */
export interface DockerSaveManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

interface ArchiveImage {
  /** Normalised full names that select it: "docker.io/library/busybox:latest". */
  names: string[];
  /** The names as listed to users: "busybox:latest" (or a bare ref.name annotation). */
  tags: string[];
  /** `org.opencontainers.image.ref.name` values of its index.json entry. */
  refNames: string[];
  /** Its index.json entry (OCI form). */
  oci?: Descriptor;
  /** Its manifest.json entry, when it has one. */
  item?: DockerSaveManifestItem;
  itemIndex?: number;
  synthesised?: Promise<Synthesised>;
}

interface Synthesised {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** Opens a docker-save archive for reading. */
export function openDockerArchive(file: string, options: OpenDockerArchiveOptions = {}): Promise<DockerArchiveStore> {
  return DockerArchiveStore.open(file, options);
}

/** "docker.io/library/busybox:latest" for "busybox", or undefined when it is not a reference. */
function normaliseName(name: string): string | undefined {
  try {
    const ref = parseReference(name);
    if (ref.digest !== undefined) return undefined;
    return `${ref.name}:${ref.tag ?? DEFAULT_TAG}`;
  } catch {
    return undefined;
  }
}

function familiarName(name: string): string {
  try {
    const ref = parseReference(name);
    return `${ref.familiarName}:${ref.tag ?? DEFAULT_TAG}`;
  } catch {
    return name;
  }
}

/** The digest a file named "<hex>.json", "<hex>" or "blobs/sha256/<hex>" claims to hold, if any. */
function digestNamedBy(path: string): Digest | undefined {
  const m = /(?:^|\/)(?:(sha256|sha384|sha512)\/)?([a-f0-9]{64}|[a-f0-9]{96}|[a-f0-9]{128})(?:\.json)?$/.exec(path);
  if (m === null) return undefined;
  const algorithm = m[1] ?? 'sha256';
  const candidate = `${algorithm}:${m[2]}`;
  try {
    return parseDigest(candidate);
  } catch {
    return undefined;
  }
}

export class DockerArchiveStore implements ContentStore {
  readonly description: string;
  readonly writable = false;
  /** The archive file as given. */
  readonly file: string;
  private readonly tar: TarIndex;
  private readonly images: ArchiveImage[];
  /** Synthesised manifests by digest. */
  private readonly synthesised = new Map<Digest, Synthesised>();
  /** Configs and layers of synthesised manifests by digest. */
  private readonly legacyBlobs = new Map<Digest, TarEntry>();

  private constructor(file: string, description: string, tar: TarIndex, images: ArchiveImage[]) {
    this.file = file;
    this.description = description;
    this.tar = tar;
    this.images = images;
  }

  static async open(file: string, options: OpenDockerArchiveOptions = {}): Promise<DockerArchiveStore> {
    const description = `docker-archive:${file}`;
    const signal = options.signal;
    const tar = await TarIndex.scan(file, { signal, source: description });
    const reader = new EntryReader(tar, description);

    const manifestEntry = reader.optionalFile('manifest.json');
    const layoutEntry = reader.optionalFile('oci-layout');
    const indexEntry = reader.optionalFile('index.json');
    if (manifestEntry === undefined && (layoutEntry === undefined || indexEntry === undefined)) {
      throw new ArchfitError(
        'ARCHIVE_INVALID',
        `${description}: not a docker-save archive (it has neither manifest.json nor an OCI index.json)`,
      );
    }

    const images: ArchiveImage[] = [];
    if (layoutEntry !== undefined && indexEntry !== undefined) {
      const bytes = await reader.read(indexEntry, 'index.json', MAX_MANIFEST_BYTES, signal);
      let parsed: ReturnType<typeof parseManifest>;
      try {
        parsed = parseManifest(bytes, { source: `${description}: index.json` });
      } catch (error) {
        throw new ArchfitError('ARCHIVE_INVALID', error instanceof Error ? error.message : String(error), {
          cause: error,
        });
      }
      if (parsed.kind !== 'index') {
        throw new ArchfitError('ARCHIVE_INVALID', `${description}: index.json is not an image index`);
      }
      for (const entry of parsed.index.manifests) {
        const imageName = entry.annotations?.[IMAGE_NAME_ANNOTATION];
        const ref = entry.annotations?.[REF_NAME_ANNOTATION];
        const normalised = imageName === undefined ? undefined : normaliseName(imageName);
        images.push({
          names: normalised === undefined ? [] : [normalised],
          tags: normalised !== undefined ? [familiarName(normalised)] : ref !== undefined ? [ref] : [],
          refNames: ref === undefined ? [] : [ref],
          oci: { ...entry },
        });
      }
    }

    const items =
      manifestEntry === undefined
        ? []
        : parseManifestJson(await reader.read(manifestEntry, 'manifest.json', MAX_MANIFEST_BYTES, signal), description);
    for (const [itemIndex, item] of items.entries()) {
      const names = item.RepoTags.map(normaliseName).filter((n): n is string => n !== undefined);
      let match = images.find((img) => img.oci !== undefined && img.names.some((n) => names.includes(n)));
      if (match === undefined) match = await matchByConfig(images, item, reader, signal);
      if (match !== undefined) {
        match.itemIndex ??= itemIndex;
        match.item ??= item;
        for (const n of names) {
          if (!match.names.includes(n)) {
            match.names.push(n);
            match.tags.push(familiarName(n));
          }
        }
        continue;
      }
      images.push({ names, tags: names.map(familiarName), refNames: [], item, itemIndex });
    }
    if (images.length === 0) throw new ArchfitError('ARCHIVE_INVALID', `${description}: the archive holds no images`);
    return new DockerArchiveStore(file, description, tar, images);
  }

  async listTags(_options: StoreCallOptions = {}): Promise<string[]> {
    const tags: string[] = [];
    for (const img of this.images) for (const t of img.tags) if (!tags.includes(t)) tags.push(t);
    return tags;
  }

  /**
   * "" for the archive's only image; "@N" for the N-th entry of manifest.json (as skopeo's source index); a
   * digest; or a name as in RepoTags ("busybox:latest", "docker.io/library/busybox", "localhost:5000/x:v1"), which
   * is normalised as docker does before it is compared.
   */
  async resolve(reference: string, options: StoreCallOptions = {}): Promise<Descriptor> {
    return this.descriptorOf(await this.findImage(reference, options), options);
  }

  private async findImage(reference: string, options: StoreCallOptions): Promise<ArchiveImage | Descriptor> {
    const images = this.images;
    if (reference === '') {
      const [only, ...more] = images;
      if (only !== undefined && more.length === 0) return only;
      throw new ArchfitError(
        'INVALID_REFERENCE',
        `${this.description}: the archive holds ${images.length} images; name one as ${this.description}:NAME:TAG or :@N${this.tagList()}`,
      );
    }
    const sourceIndex = /^@(\d{1,6})$/.exec(reference);
    if (sourceIndex !== null) {
      const n = Number(sourceIndex[1]);
      const hasItems = images.some((img) => img.itemIndex !== undefined);
      const image = hasItems ? images.find((img) => img.itemIndex === n) : images[n];
      if (image === undefined) {
        throw new ArchfitError(
          'MANIFEST_UNKNOWN',
          `${this.description}: there is no image ${reference} in the archive`,
        );
      }
      return image;
    }
    if (looksLikeDigest(reference)) {
      const digest = parseDigest(reference);
      for (const img of images) if (img.oci?.digest === digest) return img;
      await this.synthesiseAll(options);
      const synthesised = this.synthesised.get(digest);
      if (synthesised !== undefined) return synthesised.descriptor;
      const entry = this.ociBlob(digest);
      if (entry === undefined) {
        throw new ArchfitError('MANIFEST_UNKNOWN', `${this.description}: manifest ${digest} is not in the archive`);
      }
      const bytes = await this.readVerified(entry, digest, undefined, options.signal);
      const parsed = parseManifest(bytes, { source: `${this.description}@${digest}` });
      return { mediaType: parsed.mediaType, digest, size: bytes.byteLength };
    }
    const normalised = normaliseName(reference);
    let found = normalised === undefined ? [] : images.filter((img) => img.names.includes(normalised));
    if (found.length === 0) found = images.filter((img) => img.refNames.includes(reference));
    const [first] = found;
    if (first === undefined) {
      throw new ArchfitError(
        'MANIFEST_UNKNOWN',
        `${this.description}: no image named ${quote(reference)} in the archive${this.tagList()}`,
        { details: { reference } },
      );
    }
    if (found.length > 1) {
      throw new ArchfitError(
        'INVALID_REFERENCE',
        `${this.description}: ${quote(reference)} names ${found.length} images; use the full name or :@N`,
      );
    }
    return first;
  }

  private async descriptorOf(image: ArchiveImage | Descriptor, options: StoreCallOptions): Promise<Descriptor> {
    if (!('names' in image)) return { ...image };
    if (image.oci !== undefined) return { ...image.oci };
    return { ...(await this.synthesise(image, options)).descriptor };
  }

  private tagList(): string {
    const tags = this.images.flatMap((img) => img.tags);
    return tags.length === 0 ? '' : ` (tags: ${[...new Set(tags)].slice(0, 10).join(', ')})`;
  }

  async getManifest(reference: string, options: GetManifestOptions = {}): Promise<FetchedManifest> {
    const descriptor = options.expected ?? (await this.resolve(reference, options));
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    const source = `${this.description}@${digest}`;
    let bytes: Uint8Array;
    let synthesised = this.synthesised.get(digest);
    if (synthesised === undefined && this.ociBlob(digest) === undefined) {
      await this.synthesiseAll(options);
      synthesised = this.synthesised.get(digest);
    }
    if (synthesised !== undefined) {
      bytes = synthesised.bytes;
      verifyBytes(bytes, digest, source);
      if (bytes.byteLength !== size) {
        throw new ArchfitError('SIZE_MISMATCH', `${source}: manifest is ${bytes.byteLength} bytes, expected ${size}`);
      }
    } else {
      const entry = this.ociBlob(digest);
      if (entry === undefined) {
        throw new ArchfitError('MANIFEST_UNKNOWN', `${this.description}: manifest ${digest} is not in the archive`);
      }
      bytes = await this.readVerified(entry, digest, size, options.signal);
    }
    const parsed = parseManifest(bytes, { contentType: descriptor.mediaType, source });
    return { descriptor: { ...descriptor, mediaType: parsed.mediaType }, bytes, parsed };
  }

  async hasManifest(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    if (this.ociBlob(digest)?.size === size) return true;
    if (!this.synthesised.has(digest)) await this.synthesiseAll(options);
    return this.synthesised.get(digest)?.descriptor.size === size;
  }

  async hasBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    return (await this.findBlob(digest, options))?.size === size;
  }

  async openBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<Readable> {
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    const what = `${this.description}@${digest}`;
    throwIfAborted(options.signal, what);
    const entry = await this.findBlob(digest, options);
    if (entry === undefined) {
      throw new ArchfitError('BLOB_UNKNOWN', `${this.description}: blob ${digest} is not in the archive`);
    }
    if (entry.size !== size) {
      throw new ArchfitError('SIZE_MISMATCH', `${what}: the archive holds ${entry.size} bytes, expected ${size}`, {
        details: { expected: size, received: entry.size, digest },
      });
    }
    return verifiedFileStream(
      this.tar.path,
      { digest, size },
      { start: entry.offset, length: entry.size, signal: options.signal, what, missing: 'NOT_FOUND' },
    );
  }

  async putManifest(): Promise<Descriptor> {
    throw this.readOnly();
  }

  async pushBlob(): Promise<void> {
    throw this.readOnly();
  }

  async close(): Promise<void> {}

  private readOnly(): ArchfitError {
    return new ArchfitError(
      'INVALID_ARGUMENT',
      `${this.description} is read-only: docker-save archives can be read, not written; write to oci:DIR or a registry`,
    );
  }

  /** `blobs/<alg>/<hex>` of the OCI form, when present. */
  private ociBlob(digest: Digest): TarEntry | undefined {
    const entry = this.tar.lookup(`blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`);
    return entry?.kind === 'file' ? entry : undefined;
  }

  private async findBlob(digest: Digest, options: StoreCallOptions): Promise<TarEntry | undefined> {
    const oci = this.ociBlob(digest);
    if (oci !== undefined) return oci;
    let legacy = this.legacyBlobs.get(digest);
    if (legacy === undefined) {
      await this.synthesiseAll(options);
      legacy = this.legacyBlobs.get(digest);
    }
    return legacy;
  }

  private async readVerified(
    entry: TarEntry,
    digest: Digest,
    size: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const source = `${this.description}@${digest}`;
    if (size !== undefined && entry.size !== size) {
      throw new ArchfitError('SIZE_MISMATCH', `${source}: the archive holds ${entry.size} bytes, expected ${size}`);
    }
    const bytes = await new EntryReader(this.tar, this.description).read(entry, digest, MAX_MANIFEST_BYTES, signal);
    verifyBytes(bytes, digest, source);
    return bytes;
  }

  /**
   * Synthesises every legacy image, so a digest from any of them can be found. An image that cannot be read is
   * skipped here; its error is reported when that image itself is asked for.
   */
  private async synthesiseAll(options: StoreCallOptions): Promise<void> {
    for (const img of this.images) {
      if (img.oci === undefined && img.item !== undefined) await this.synthesise(img, options).catch(() => undefined);
      throwIfAborted(options.signal, this.description);
    }
  }

  private synthesise(image: ArchiveImage, options: StoreCallOptions): Promise<Synthesised> {
    if (image.synthesised === undefined) {
      const item = image.item;
      if (item === undefined) throw new ArchfitError('INTERNAL', `${this.description}: no manifest.json entry`);
      const running = this.synthesiseItem(item, options.signal);
      image.synthesised = running;
      // A failure (an abort, a damaged archive) is not remembered: the next call tries again and reports afresh.
      running.catch(() => {
        if (image.synthesised === running) image.synthesised = undefined;
      });
      return running;
    }
    return image.synthesised;
  }

  private async synthesiseItem(item: DockerSaveManifestItem, signal: AbortSignal | undefined): Promise<Synthesised> {
    const reader = new EntryReader(this.tar, this.description);
    const configEntry = reader.requireFile(item.Config, 'config');
    const configBytes = await reader.read(configEntry, item.Config, MAX_MANIFEST_BYTES, signal);
    const configDigest = digestOf(configBytes);
    const claimed = digestNamedBy(item.Config);
    if (claimed !== undefined) verifyBytes(configBytes, claimed, `${this.description}: ${item.Config}`);
    const config = parseConfig(configBytes, { source: `${this.description}: ${item.Config}` });
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== item.Layers.length) {
      throw new ArchfitError(
        'ARCHIVE_INVALID',
        `${this.description}: ${item.Config} lists ${diffIds.length} diff_ids but manifest.json lists ${item.Layers.length} layers`,
      );
    }
    const layers: Array<{ mediaType: string; size: number; digest: Digest }> = [];
    const blobs = new Map<Digest, TarEntry>([[configDigest, configEntry]]);
    for (const [i, path] of item.Layers.entries()) {
      const entry = reader.requireFile(path, 'layer');
      const diffId = diffIds[i] as Digest;
      const magic = entry.size >= 4 ? await reader.read({ ...entry, size: 4 }, path, 4, signal) : Buffer.alloc(0);
      if (magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd) {
        throw new ArchfitError(
          'ARCHIVE_INVALID',
          `${this.description}: layer ${quote(path)} is zstd-compressed, which docker-save archives do not use`,
        );
      }
      if (magic[0] === 0x1f && magic[1] === 0x8b) {
        // Some writers (crane's tarball) store gzip layers; their digest is the hash of the compressed bytes.
        const digest = await this.gzipLayerDigest(entry, path, diffId, signal);
        layers.push({ mediaType: MediaType.DockerLayerGzip, size: entry.size, digest });
        blobs.set(digest, entry);
      } else {
        layers.push({ mediaType: DOCKER_LAYER_TAR_MEDIA_TYPE, size: entry.size, digest: diffId });
        blobs.set(diffId, entry);
      }
    }
    // Field order as Docker's schema 2 writers: mediaType, size, digest.
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, size: configBytes.byteLength, digest: configDigest },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const descriptor: Descriptor = {
      mediaType: MediaType.DockerManifest,
      digest: digestOf(bytes),
      size: bytes.byteLength,
    };
    for (const [digest, entry] of blobs) if (!this.legacyBlobs.has(digest)) this.legacyBlobs.set(digest, entry);
    const synthesised = { descriptor, bytes };
    this.synthesised.set(descriptor.digest, synthesised);
    return synthesised;
  }

  /** Hashes a gzip layer and its decompressed stream; the latter must be the diff_id. */
  private async gzipLayerDigest(
    entry: TarEntry,
    path: string,
    diffId: Digest,
    signal: AbortSignal | undefined,
  ): Promise<Digest> {
    const what = `${this.description}: ${path}`;
    const compressed = createHash('sha256');
    const uncompressed = createHash(digestAlgorithm(diffId));
    const input = createReadStream(this.tar.path, {
      start: entry.offset,
      end: entry.offset + entry.size - 1,
      ...(signal ? { signal } : {}),
    });
    const hashCompressed = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        compressed.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        input,
        hashCompressed,
        createGunzip(),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            uncompressed.update(chunk);
            callback();
          },
        }),
        signal ? { signal } : {},
      );
    } catch (error) {
      if (isArchfitError(error)) throw error;
      throw new ArchfitError('LAYER_INVALID', `${what}: cannot decompress the gzip layer`, { cause: error });
    }
    const actual = `${digestAlgorithm(diffId)}:${uncompressed.digest('hex')}`;
    if (actual !== diffId) {
      throw new ArchfitError(
        'DIGEST_MISMATCH',
        `${what}: decompressed layer hashes to ${actual}, expected diff_id ${diffId}`,
        {
          details: { expected: diffId, actual },
        },
      );
    }
    return `sha256:${compressed.digest('hex')}`;
  }
}

/** Reads small entries (JSON documents) of the archive by offset, with a cap. */
class EntryReader {
  constructor(
    private readonly tar: TarIndex,
    private readonly description: string,
  ) {}

  optionalFile(name: string): TarEntry | undefined {
    const entry = this.tar.lookup(name);
    return entry?.kind === 'file' ? entry : undefined;
  }

  requireFile(path: string, what: string): TarEntry {
    const entry = this.tar.lookup(path);
    if (entry === undefined) {
      throw new ArchfitError(
        'ARCHIVE_INVALID',
        `${this.description}: manifest.json lists the ${what} ${quote(path)}, which is not in the archive`,
      );
    }
    if (entry.kind !== 'file') {
      throw new ArchfitError(
        'ARCHIVE_INVALID',
        `${this.description}: the ${what} ${quote(path)} is not a regular file`,
      );
    }
    return entry;
  }

  async read(entry: TarEntry, name: string, max: number, signal: AbortSignal | undefined): Promise<Buffer> {
    const what = `${this.description}: ${name}`;
    throwIfAborted(signal, what);
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.tar.path, 'r');
      return await readRange(handle, entry.offset, entry.size, what, max);
    } catch (error) {
      throw fileError(error, what);
    } finally {
      await handle?.close().catch(() => {});
    }
  }
}

const ITEM_KEYS = ['Config', 'RepoTags', 'Layers'];

/** Validates manifest.json: an array of { Config, RepoTags, Layers } (other keys, like Parent, are ignored). */
export function parseManifestJson(bytes: Uint8Array, description: string): DockerSaveManifestItem[] {
  const source = `${description}: manifest.json`;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ArchfitError('ARCHIVE_INVALID', `${source} is not valid JSON`, { cause: error });
  }
  if (!Array.isArray(value)) throw new ArchfitError('ARCHIVE_INVALID', `${source} is not a JSON array`);
  if (value.length > 4096) throw new ArchfitError('ARCHIVE_INVALID', `${source} lists over 4096 images`);
  return value.map((raw, i): DockerSaveManifestItem => {
    const where = `${source}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ArchfitError('ARCHIVE_INVALID', `${where} is not an object`);
    }
    const item = raw as Record<string, unknown>;
    // Go decodes keys case-insensitively; a key that differs only by case would be read differently there.
    for (const key of Object.keys(item)) {
      const canonical = ITEM_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
      if (canonical !== undefined && canonical !== key) {
        throw new ArchfitError(
          'ARCHIVE_INVALID',
          `${where}: key ${quote(key)} differs from ${quote(canonical)} only by case`,
        );
      }
    }
    if (typeof item.Config !== 'string' || item.Config === '') {
      throw new ArchfitError('ARCHIVE_INVALID', `${where}.Config must be a non-empty string`);
    }
    const tags = item.RepoTags ?? [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
      throw new ArchfitError('ARCHIVE_INVALID', `${where}.RepoTags must be an array of strings`);
    }
    const layers = item.Layers;
    if (!Array.isArray(layers) || layers.some((l) => typeof l !== 'string' || l === '')) {
      throw new ArchfitError('ARCHIVE_INVALID', `${where}.Layers must be an array of paths`);
    }
    if (layers.length > MAX_LAYERS) {
      throw new ArchfitError('ARCHIVE_INVALID', `${where} lists ${layers.length} layers, over ${MAX_LAYERS}`);
    }
    return { Config: item.Config, RepoTags: tags as string[], Layers: layers as string[] };
  });
}

/**
 * For a manifest.json entry the index.json names do not cover: the OCI image whose manifest lists the same config
 * (docker writes `blobs/sha256/<config hex>` as Config).
 */
async function matchByConfig(
  images: ArchiveImage[],
  item: DockerSaveManifestItem,
  reader: EntryReader,
  signal: AbortSignal | undefined,
): Promise<ArchiveImage | undefined> {
  const configDigest = digestNamedBy(item.Config);
  if (configDigest === undefined) return undefined;
  for (const img of images) {
    const oci = img.oci;
    if (oci === undefined || !isImageManifestMediaType(oci.mediaType)) continue;
    const entry = reader.optionalFile(`blobs/${digestAlgorithm(oci.digest)}/${digestHex(oci.digest)}`);
    if (entry === undefined || entry.size > MAX_MANIFEST_BYTES) continue;
    const bytes = await reader.read(entry, oci.digest, MAX_MANIFEST_BYTES, signal);
    try {
      verifyBytes(bytes, oci.digest);
      const parsed = parseManifest(bytes, { contentType: oci.mediaType });
      if (parsed.kind === 'image' && parsed.manifest.config.digest === configDigest) return img;
    } catch {
      // a damaged manifest is reported when it is read, not here
    }
  }
  return undefined;
}
