// An OCI image layout directory (`oci:DIR[:TAG]`), read and written: `oci-layout`, `index.json` (tags are the
// `org.opencontainers.image.ref.name` annotation of its entries) and `blobs/<alg>/<hex>`.
//
// Reads verify: blobs stream through a VerifyingStream, manifests are hashed before they are parsed. Blob paths are
// built only from digests that passed the anchored digest grammar, so no string from index.json or a caller can
// name a file outside `blobs/`. Writes are atomic: every file is written to a temp file in its own directory and
// renamed into place, blobs before the manifests that list them, and index.json last, so a crash leaves either the
// old index.json or the new one, never a tag that points at missing content. Updates of index.json are serialised
// per store instance; separate processes writing one layout at once are not coordinated.

import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Digest,
  digestAlgorithm,
  digestHex,
  digestOf,
  parseDigest,
  VerifyingStream,
  verifyBytes,
} from '../digest/index.js';
import { ArchfitError, isArchfitError, quote } from '../errors.js';
import {
  type BlobSource,
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  type GetManifestOptions,
  type ImageIndex,
  isIndexMediaType,
  isNondistributableMediaType,
  MAX_INDEX_ENTRIES,
  MAX_MANIFEST_BYTES,
  MediaType,
  type ParsedManifest,
  type PushBlobOptions,
  type PutManifestOptions,
  parseManifest,
  type StoreCallOptions,
} from '../image/index.js';
import { grammar } from '../reference/index.js';
import { checkedDescriptor, looksLikeDigest, REF_NAME_ANNOTATION } from './common.js';
import {
  errnoCode,
  fileError,
  readFileCapped,
  syncDirectory,
  tempPathFor,
  throwIfAborted,
  verifiedFileStream,
  writeFileAtomic,
} from './fs-util.js';

const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';
const MAX_LAYOUT_FILE_BYTES = 64 * 1024;
const LAYOUT_FILE_CONTENT = '{"imageLayoutVersion":"1.0.0"}';

export interface OpenLayoutOptions {
  /** Create the layout when the directory is missing or empty (a non-empty directory that is not a layout is refused). */
  create?: boolean;
  /** fsync files and their directory before each rename (slower; survives a power cut, not just a crash). */
  fsync?: boolean;
  signal?: AbortSignal;
}

export interface TagOptions extends StoreCallOptions {}

type Entry = Descriptor & Record<string, unknown>;

/** Opens (or with `create`, creates) the OCI image layout in `dir`. */
export function openLayout(dir: string, options: OpenLayoutOptions = {}): Promise<OciLayoutStore> {
  return OciLayoutStore.open(dir, options);
}

function refName(entry: Descriptor): string | undefined {
  return entry.annotations?.[REF_NAME_ANNOTATION];
}

/** A tag this store writes: the Docker tag grammar, which every OCI layout reader accepts. */
function checkTag(tag: string, source: string): void {
  if (typeof tag !== 'string' || !grammar.tag.test(tag)) {
    throw new ArchfitError(
      'INVALID_REFERENCE',
      `${source}: invalid tag ${quote(tag)}: a tag is 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`,
      { details: { input: tag } },
    );
  }
}

export class OciLayoutStore implements ContentStore {
  readonly description: string;
  readonly writable = true;
  /** The directory as given. */
  readonly dir: string;
  private readonly root: string;
  private readonly fsync: boolean;
  /** index.json updates run one after another; this is the tail of that queue. */
  private indexQueue: Promise<void> = Promise.resolve();
  /** Blob writes in flight, so concurrent pushes of one digest write it once. */
  private readonly inflight = new Map<Digest, Promise<void>>();

  private constructor(dir: string, options: OpenLayoutOptions) {
    this.dir = dir;
    this.root = resolvePath(dir);
    this.description = `oci:${dir}`;
    this.fsync = options.fsync === true;
  }

  static async open(dir: string, options: OpenLayoutOptions = {}): Promise<OciLayoutStore> {
    const store = new OciLayoutStore(dir, options);
    await store.init(options);
    return store;
  }

  private get indexPath(): string {
    return join(this.root, INDEX_FILE);
  }

  private async init(options: OpenLayoutOptions): Promise<void> {
    const signal = options.signal;
    const what = this.description;
    throwIfAborted(signal, what);
    try {
      const st = await stat(this.root).catch(async (error: unknown) => {
        if (errnoCode(error) !== 'ENOENT' || options.create !== true) throw error;
        await mkdir(this.root, { recursive: true });
        return stat(this.root);
      });
      if (!st.isDirectory()) throw new ArchfitError('LAYOUT_INVALID', `${what}: not a directory`);
    } catch (error) {
      throw fileError(error, `${what}: directory`);
    }
    const layoutFile = join(this.root, LAYOUT_FILE);
    const hasLayoutFile = await exists(layoutFile, what);
    if (!hasLayoutFile) {
      if (options.create !== true) {
        throw new ArchfitError('LAYOUT_INVALID', `${what}: not an OCI image layout (it has no ${LAYOUT_FILE} file)`);
      }
      const names = await readdir(this.root).catch((error: unknown) => {
        throw fileError(error, what);
      });
      if (names.length > 0) {
        throw new ArchfitError(
          'LAYOUT_INVALID',
          `${what}: the directory is not empty and is not an OCI image layout; use a new or empty directory`,
        );
      }
      await this.mkdirs(join(this.root, 'blobs', 'sha256'));
      await writeFileAtomic(layoutFile, Buffer.from(LAYOUT_FILE_CONTENT), this.writeOptions(signal, LAYOUT_FILE));
    } else {
      const bytes = await readFileCapped(layoutFile, MAX_LAYOUT_FILE_BYTES, `${what}: ${LAYOUT_FILE}`, signal);
      let version: unknown;
      try {
        version = (JSON.parse(bytes.toString('utf8')) as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
      } catch (error) {
        throw new ArchfitError('LAYOUT_INVALID', `${what}: ${LAYOUT_FILE} is not valid JSON`, { cause: error });
      }
      if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
        throw new ArchfitError(
          'LAYOUT_INVALID',
          `${what}: unsupported imageLayoutVersion ${quote(version)} in ${LAYOUT_FILE} (expected 1.x.y)`,
        );
      }
    }
    // A layout whose creation stopped between oci-layout and index.json is completed, not refused.
    if (!(await exists(this.indexPath, what))) {
      if (options.create !== true) {
        throw new ArchfitError('LAYOUT_INVALID', `${what}: not an OCI image layout (it has no ${INDEX_FILE})`);
      }
      const empty = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
      await writeFileAtomic(this.indexPath, Buffer.from(JSON.stringify(empty)), this.writeOptions(signal, INDEX_FILE));
    }
    await this.readIndex(signal ? { signal } : {});
  }

  private writeOptions(signal: AbortSignal | undefined, file: string) {
    return { fsync: this.fsync, signal, what: `${this.description}: ${file}` };
  }

  private async mkdirs(dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw fileError(error, `${this.description}: ${dir}`, 'IO_ERROR');
    }
  }

  /** The path of a blob; only ever built from a digest that passed the anchored grammar. */
  private blobPath(digest: string): string {
    const valid = parseDigest(digest);
    return join(this.root, 'blobs', digestAlgorithm(valid), digestHex(valid));
  }

  /** index.json, validated: every entry a descriptor with a valid digest and a safe size. */
  async readIndex(options: StoreCallOptions = {}): Promise<ImageIndex> {
    const what = `${this.description}: ${INDEX_FILE}`;
    const bytes = await readFileCapped(this.indexPath, MAX_MANIFEST_BYTES, what, options.signal, 'LAYOUT_INVALID');
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(bytes, { source: what });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ArchfitError('LAYOUT_INVALID', message, { cause: error });
    }
    if (parsed.kind !== 'index') {
      throw new ArchfitError('LAYOUT_INVALID', `${what}: is a ${parsed.mediaType}, not an image index`);
    }
    return parsed.index;
  }

  async listTags(options: StoreCallOptions = {}): Promise<string[]> {
    const index = await this.readIndex(options);
    const tags: string[] = [];
    for (const entry of index.manifests) {
      const tag = refName(entry);
      if (tag !== undefined && !tags.includes(tag)) tags.push(tag);
    }
    return tags;
  }

  /**
   * A tag, a digest, or "" for the layout's only entry (as skopeo does when `oci:DIR` has no tag). A digest resolves
   * to an index.json entry or to any manifest blob present.
   */
  async resolve(reference: string, options: StoreCallOptions = {}): Promise<Descriptor> {
    const index = await this.readIndex(options);
    if (reference === '') {
      const [only, ...more] = index.manifests;
      if (only !== undefined && more.length === 0) return { ...only };
      if (only === undefined)
        throw new ArchfitError('MANIFEST_UNKNOWN', `${this.description}: the layout holds no images`);
      throw new ArchfitError(
        'INVALID_REFERENCE',
        `${this.description}: the layout holds ${index.manifests.length} images; name one as ${this.description}:TAG${tagList(index)}`,
      );
    }
    if (looksLikeDigest(reference)) {
      const digest = parseDigest(reference);
      const listed = index.manifests.find((m) => m.digest === digest);
      if (listed !== undefined) return { ...listed };
      const bytes = await this.readManifestBlob(digest, undefined, options.signal);
      const parsed = parseManifest(bytes, { source: `${this.description}@${digest}` });
      return { mediaType: parsed.mediaType, digest, size: bytes.byteLength };
    }
    const matches = index.manifests.filter((m) => refName(m) === reference);
    const [first] = matches;
    if (first === undefined) {
      throw new ArchfitError(
        'MANIFEST_UNKNOWN',
        `${this.description}: no manifest tagged ${quote(reference)}${tagList(index)}`,
        { details: { reference } },
      );
    }
    if (matches.some((m) => m.digest !== first.digest)) {
      throw new ArchfitError(
        'LAYOUT_INVALID',
        `${this.description}: tag ${quote(reference)} names ${matches.length} different manifests in ${INDEX_FILE}`,
      );
    }
    return { ...first };
  }

  async getManifest(reference: string, options: GetManifestOptions = {}): Promise<FetchedManifest> {
    const descriptor = options.expected ?? (await this.resolve(reference, options));
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    const bytes = await this.readManifestBlob(digest, size, options.signal);
    const parsed = parseManifest(bytes, { contentType: descriptor.mediaType, source: `${this.description}@${digest}` });
    return { descriptor: { ...descriptor, mediaType: parsed.mediaType }, bytes, parsed };
  }

  /** A manifest blob, capped, hashed and (when known) size-checked before anyone parses it. */
  private async readManifestBlob(digest: Digest, size: number | undefined, signal?: AbortSignal): Promise<Uint8Array> {
    const what = `${this.description}@${digest}`;
    if (size !== undefined && size > MAX_MANIFEST_BYTES) {
      throw new ArchfitError(
        'SIZE_LIMIT',
        `${what}: manifest is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    let bytes: Buffer;
    try {
      bytes = await readFileCapped(this.blobPath(digest), MAX_MANIFEST_BYTES, `${what}: manifest`, signal);
    } catch (error) {
      if (isArchfitError(error, 'NOT_FOUND')) {
        throw new ArchfitError('MANIFEST_UNKNOWN', `${this.description}: manifest ${digest} is not in the layout`, {
          cause: error,
        });
      }
      throw error;
    }
    verifyBytes(bytes, digest, what);
    if (size !== undefined && bytes.byteLength !== size) {
      throw new ArchfitError('SIZE_MISMATCH', `${what}: manifest is ${bytes.byteLength} bytes, expected ${size}`, {
        details: { expected: size, received: bytes.byteLength, digest },
      });
    }
    return bytes;
  }

  async hasManifest(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    return this.hasBlob(descriptor, options);
  }

  async hasBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    throwIfAborted(options.signal, this.description);
    try {
      const st = await stat(this.blobPath(digest));
      // A blob of another size is damaged: report it absent so a push replaces it.
      return st.isFile() && st.size === size;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
      throw fileError(error, `${this.description}@${digest}`, 'IO_ERROR');
    }
  }

  async openBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<Readable> {
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    const what = `${this.description}@${digest}`;
    throwIfAborted(options.signal, what);
    const path = this.blobPath(digest);
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new ArchfitError('LAYOUT_INVALID', `${what}: the blob is not a regular file`);
      if (st.size !== size) {
        throw new ArchfitError('SIZE_MISMATCH', `${what}: blob is ${st.size} bytes, expected ${size}`, {
          details: { expected: size, received: st.size, digest },
        });
      }
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        throw new ArchfitError('BLOB_UNKNOWN', `${this.description}: blob ${digest} is not in the layout`, {
          cause: error,
        });
      }
      throw fileError(error, what, 'BLOB_UNKNOWN');
    }
    return verifiedFileStream(path, { digest, size }, { signal: options.signal, what, missing: 'BLOB_UNKNOWN' });
  }

  /** Stores a blob unless it is already here; the bytes are verified against digest and size before the rename. */
  async pushBlob(descriptor: Descriptor, source: BlobSource, options: PushBlobOptions = {}): Promise<void> {
    const { digest, size } = checkedDescriptor(descriptor, this.description);
    throwIfAborted(options.signal, this.description);
    const running = this.inflight.get(digest);
    if (running !== undefined) {
      // Another push of this digest is under way: wait for it, then look again (it may have failed).
      await running.catch(() => {});
      return this.pushBlob(descriptor, source, options);
    }
    // Registered before the first await, so a concurrent push of the same digest finds it.
    const job = (async () => {
      if (await this.hasBlob(descriptor, options)) return;
      await this.writeBlob(digest, size, source, options);
    })();
    this.inflight.set(digest, job);
    try {
      await job;
    } finally {
      if (this.inflight.get(digest) === job) this.inflight.delete(digest);
    }
  }

  private async writeBlob(digest: Digest, size: number, source: BlobSource, options: PushBlobOptions): Promise<void> {
    const what = `${this.description}@${digest}`;
    const finalPath = this.blobPath(digest);
    await this.mkdirs(dirname(finalPath));
    const temp = tempPathFor(finalPath);
    try {
      const input = await source();
      const verifier = new VerifyingStream({ digest, size, source: what });
      const onProgress = options.onProgress;
      let sent = 0;
      const progress = new Transform({
        transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
          sent += chunk.length;
          onProgress?.(sent);
          callback(null, chunk);
        },
      });
      const output = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
      await pipeline(input, verifier, progress, output, options.signal ? { signal: options.signal } : {});
      if (this.fsync) {
        const handle = await open(temp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      throwIfAborted(options.signal, what);
      await rename(temp, finalPath);
      if (this.fsync) await syncDirectory(dirname(finalPath));
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw fileError(error, what, 'IO_ERROR');
    }
  }

  /**
   * Stores manifest bytes exactly as given (the digest is their hash) after validating them, and with `tag` points
   * that tag at them in index.json. Like a registry, it refuses a manifest whose config, layers or child manifests
   * are not stored yet (non-distributable layers excepted), so a tag never points at missing content.
   */
  async putManifest(bytes: Uint8Array, mediaType: string, options: PutManifestOptions = {}): Promise<Descriptor> {
    if (options.tag !== undefined) checkTag(options.tag, this.description);
    const parsed = parseManifest(bytes, { contentType: mediaType, source: `${this.description}: manifest` });
    const descriptor: Descriptor = { mediaType: parsed.mediaType, digest: digestOf(bytes), size: bytes.byteLength };
    await this.checkReferences(parsed, descriptor.digest, options.signal);
    if (!(await this.hasBlob(descriptor, options))) {
      const path = this.blobPath(descriptor.digest);
      await this.mkdirs(dirname(path));
      await writeFileAtomic(path, bytes, this.writeOptions(options.signal, `blob ${descriptor.digest}`));
    }
    if (options.tag !== undefined) await this.setTag(descriptor, options.tag, options.signal);
    return descriptor;
  }

  private async checkReferences(parsed: ParsedManifest, digest: Digest, signal?: AbortSignal): Promise<void> {
    const needed: Array<{ descriptor: Descriptor; code: 'BLOB_UNKNOWN' | 'MANIFEST_UNKNOWN' }> =
      parsed.kind === 'index'
        ? parsed.index.manifests.map((d) => ({ descriptor: d, code: 'MANIFEST_UNKNOWN' as const }))
        : [parsed.manifest.config, ...parsed.manifest.layers]
            .filter((d) => !(isNondistributableMediaType(d.mediaType) && (d.urls?.length ?? 0) > 0))
            .map((d) => ({ descriptor: d, code: 'BLOB_UNKNOWN' as const }));
    for (const { descriptor, code } of needed) {
      if (!(await this.hasBlob(descriptor, signal ? { signal } : {}))) {
        throw new ArchfitError(
          code,
          `${this.description}: manifest ${digest} lists ${descriptor.digest} (${descriptor.size} bytes), which is not in the layout; store it first`,
          { details: { digest: descriptor.digest } },
        );
      }
    }
  }

  /** Points `tag` at a manifest already stored (a retag when the tag exists). */
  async tag(descriptor: Descriptor, tag: string, options: TagOptions = {}): Promise<Descriptor> {
    checkTag(tag, this.description);
    const fetched = await this.getManifest(descriptor.digest, { ...options, expected: descriptor });
    const stored: Descriptor = {
      mediaType: fetched.parsed.mediaType,
      digest: descriptor.digest,
      size: fetched.bytes.byteLength,
    };
    await this.setTag(stored, tag, options.signal);
    return stored;
  }

  /** Removes a tag; false when no entry had it. The manifest and its blobs stay. */
  async untag(tag: string, options: TagOptions = {}): Promise<boolean> {
    let found = false;
    await this.updateIndex((manifests) => {
      found = removeTag(manifests, tag) >= 0;
      return found;
    }, options.signal);
    return found;
  }

  /**
   * Lists a stored manifest in index.json without a tag (what skopeo writes for `oci:DIR` with no tag); a no-op when
   * index.json already lists that digest.
   */
  async addUntagged(descriptor: Descriptor, options: TagOptions = {}): Promise<Descriptor> {
    const fetched = await this.getManifest(descriptor.digest, { ...options, expected: descriptor });
    const entry: Entry = {
      mediaType: fetched.parsed.mediaType,
      digest: descriptor.digest,
      size: fetched.bytes.byteLength,
    };
    if (descriptor.platform !== undefined && !isIndexMediaType(entry.mediaType)) entry.platform = descriptor.platform;
    await this.updateIndex((manifests) => {
      if (manifests.some((m) => m.digest === entry.digest)) return false;
      manifests.push(entry);
      return true;
    }, options.signal);
    return entry;
  }

  private setTag(descriptor: Descriptor, tag: string, signal: AbortSignal | undefined): Promise<void> {
    return this.updateIndex((manifests) => {
      const current = manifests.filter((m) => refName(m) === tag);
      if (
        current.length === 1 &&
        current[0]?.digest === descriptor.digest &&
        current[0].mediaType === descriptor.mediaType &&
        current[0].size === descriptor.size
      ) {
        return false;
      }
      const removedAt = removeTag(manifests, tag);
      const untagged = manifests.findIndex((m) => m.digest === descriptor.digest && refName(m) === undefined);
      const old = untagged >= 0 ? manifests[untagged] : undefined;
      const entry: Entry = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
      // An index entry carries no platform; an image manifest keeps one an untagged entry already had.
      if (old?.platform !== undefined && !isIndexMediaType(descriptor.mediaType)) entry.platform = old.platform;
      entry.annotations = { ...(old?.annotations ?? {}), [REF_NAME_ANNOTATION]: tag };
      if (untagged >= 0) manifests[untagged] = entry;
      else if (removedAt >= 0) manifests.splice(removedAt, 0, entry);
      else manifests.push(entry);
      return true;
    }, signal);
  }

  /**
   * Reads index.json, lets `mutate` change its entries, and writes it back atomically when it says it changed
   * something. Runs after every update queued before it on this instance.
   */
  private updateIndex(mutate: (manifests: Entry[]) => boolean, signal: AbortSignal | undefined): Promise<void> {
    const run = this.indexQueue.then(async () => {
      throwIfAborted(signal, this.description);
      const index = await this.readIndex(signal ? { signal } : {});
      const manifests = index.manifests as Entry[];
      if (!mutate(manifests)) return;
      if (manifests.length > MAX_INDEX_ENTRIES) {
        throw new ArchfitError(
          'SIZE_LIMIT',
          `${this.description}: ${INDEX_FILE} would list over ${MAX_INDEX_ENTRIES} manifests`,
        );
      }
      const bytes = Buffer.from(JSON.stringify(index));
      if (bytes.byteLength > MAX_MANIFEST_BYTES) {
        throw new ArchfitError(
          'SIZE_LIMIT',
          `${this.description}: ${INDEX_FILE} would be over ${MAX_MANIFEST_BYTES} bytes`,
        );
      }
      await writeFileAtomic(this.indexPath, bytes, this.writeOptions(signal, INDEX_FILE));
    });
    this.indexQueue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {}
}

/**
 * Takes `tag` off every entry that has it. An entry left with no annotations is dropped (the tag moved on and
 * nothing else roots it); one with other annotations stays, untagged. Returns the lowest index touched, or -1.
 */
function removeTag(manifests: Entry[], tag: string): number {
  let at = -1;
  for (let i = manifests.length - 1; i >= 0; i--) {
    const entry = manifests[i] as Entry;
    if (refName(entry) !== tag) continue;
    const { [REF_NAME_ANNOTATION]: _removed, ...rest } = entry.annotations ?? {};
    if (Object.keys(rest).length === 0) {
      manifests.splice(i, 1);
    } else {
      entry.annotations = rest;
    }
    at = i;
  }
  return at;
}

function tagList(index: ImageIndex): string {
  const tags = [...new Set(index.manifests.map(refName).filter((t): t is string => t !== undefined))];
  if (tags.length === 0) return '';
  const shown = tags.slice(0, 10).join(', ');
  return ` (tags: ${shown}${tags.length > 10 ? `, … ${tags.length - 10} more` : ''})`;
}

async function exists(path: string, what: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw fileError(error, what, 'IO_ERROR');
  }
}
