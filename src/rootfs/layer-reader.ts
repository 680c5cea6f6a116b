// One layer read as a stream of tar entries, one entry at a time: the blob from the ContentStore (verified at EOF),
// decompressed by magic bytes, counted (a cap on decompressed bytes stops bombs), hashed for the DiffID, and parsed
// by tar-stream. Only the head of the files asked for is kept; every other byte passes through and is dropped, so
// memory stays flat whatever the layer's size. The reader can stop at any entry: `close()` destroys the streams.
import { createHash, type Hash } from 'node:crypto';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { headBytesNeeded } from '../binary/index.js';
import { type Digest, digestAlgorithm, shortDigest } from '../digest/index.js';
import { ArchfitError, isArchfitError } from '../errors.js';
import type { ContentStore, Descriptor } from '../image/index.js';
import {
  createDecoders,
  type LayerCompression,
  SNIFF_BYTES,
  sniffCompression,
  type ZstdDecoder,
} from './decompress.js';
import { baseName, joinPath, normalizePath, parentOf } from './paths.js';
import { ZstdFormatError } from './zstd-frames.js';

export type LayerEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other' | 'whiteout' | 'opaque' | 'ignored';

/** A tar entry as the merge sees it. */
export interface LayerEntry {
  /** Position in the layer (0 for the first entry). */
  index: number;
  /**
   * Normalised absolute path. For a `whiteout`, the path it removes; for `opaque`, the directory whose lower
   * contents it hides.
   */
  path: string;
  type: LayerEntryType;
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  size: number;
  /** Symlink target as stored, or the hard link's target, normalised. */
  linkname?: string;
  /** The first bytes of a file, when they were asked for. */
  head?: Uint8Array;
}

export interface LayerReadOptions {
  signal?: AbortSignal;
  /** Stop with SIZE_LIMIT after this many decompressed bytes. */
  maxLayerBytes: number;
  /** Largest head kept per file. */
  maxHeadBytes: number;
  /** The layer's DiffID: checked when the layer is read to its end. */
  diffId?: Digest;
  zstd?: ZstdDecoder;
}

const OPAQUE = '.wh..wh..opq';
const WHITEOUT_PREFIX = '.wh.';
const META_PREFIX = '.wh..wh.';

/** Counts (and optionally hashes) what passes, failing once more than `max` bytes have passed. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash: Hash | undefined;
  private readonly onFlush: ((digest: string) => Error | undefined) | undefined;

  constructor(
    private readonly max: number,
    private readonly overMax: (() => Error) | undefined,
    hashAlgorithm?: string,
    onFlush?: (digest: string) => Error | undefined,
  ) {
    super();
    this.hash = hashAlgorithm ? createHash(hashAlgorithm) : undefined;
    this.onFlush = onFlush;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max && this.overMax) {
      callback(this.overMax());
      return;
    }
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.hash && this.onFlush) {
      const error = this.onFlush(this.hash.digest('hex'));
      if (error) {
        callback(error);
        return;
      }
    }
    callback();
  }
}

/** Reads until `count` bytes are buffered (or the stream ends), then puts them back. */
async function peek(stream: Readable, count: number, signal?: AbortSignal): Promise<{ head: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReadable = () => {
      while (length < count) {
        const chunk = stream.read() as Buffer | null;
        if (chunk === null) break;
        chunks.push(chunk);
        length += chunk.length;
      }
      if (length >= count) {
        cleanup();
        resolve();
      }
    };
    const onEnd = () => {
      ended = true;
      cleanup();
      resolve();
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const onAbort = () => {
      cleanup();
      reject(abortError(signal));
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    onReadable();
  });
  const head = Buffer.concat(chunks, length);
  if (!ended && head.length > 0) stream.unshift(head);
  return { head, ended };
}

export function abortError(signal?: AbortSignal): ArchfitError {
  return new ArchfitError('ABORTED', 'the deep check was aborted', { cause: signal?.reason });
}

interface TarEntryStream {
  header: { name: string; type?: string | null; mode?: number; size?: number; linkname?: string | null };
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  resume(): unknown;
  pause(): unknown;
  destroy(error?: Error): unknown;
}

/** A reader positioned before the first (or next) tar entry of one layer. */
export class LayerCursor {
  readonly layer: Descriptor;
  readonly compression: LayerCompression;
  private readonly compressed: Meter;
  private readonly decoded: Meter;
  private readonly streams: Array<{ destroy(error?: Error): unknown }>;
  private readonly extract: ReturnType<typeof tarExtract>;
  private readonly entries: AsyncIterator<TarEntryStream>;
  private nextIndex = 0;
  private failure: ArchfitError | undefined;
  private closing = false;
  /** The entry last returned, paused after its head, still to be read to its end. */
  private rest: EntryReading | undefined;
  /** The end of the layer was reached (and the digests checked). */
  done = false;

  private constructor(
    layer: Descriptor,
    compression: LayerCompression,
    blob: Readable,
    decoders: Transform[],
    private readonly options: LayerReadOptions,
  ) {
    this.layer = layer;
    this.compression = compression;
    this.compressed = new Meter(Number.POSITIVE_INFINITY, undefined);
    const diffId = options.diffId;
    this.decoded = new Meter(
      options.maxLayerBytes,
      () =>
        new ArchfitError(
          'SIZE_LIMIT',
          `layer ${shortDigest(layer.digest)} decompresses to more than ${options.maxLayerBytes} bytes, the limit for a deep check`,
          { details: { layer: layer.digest, limit: options.maxLayerBytes } },
        ),
      diffId ? digestAlgorithm(diffId) : undefined,
      diffId
        ? (hex) => {
            const actual = `${digestAlgorithm(diffId)}:${hex}`;
            return actual === diffId
              ? undefined
              : new ArchfitError(
                  'DIGEST_MISMATCH',
                  `layer ${shortDigest(layer.digest)} decompresses to content with digest ${actual}, but the config's DiffID is ${diffId}`,
                  { details: { layer: layer.digest, expected: diffId, actual } },
                );
          }
        : undefined,
    );
    this.extract = tarExtract();
    this.streams = [blob, this.compressed, ...decoders, this.decoded, this.extract];
    pipeline([blob, this.compressed, ...decoders, this.decoded], (error) => {
      if (error) this.fail(error);
    });
    this.decoded.pipe(this.extract as unknown as NodeJS.WritableStream);
    this.entries = (this.extract as unknown as AsyncIterable<TarEntryStream>)[Symbol.asyncIterator]();
  }

  /** Opens the layer's blob and sets up decoding by its magic bytes. */
  static async open(store: ContentStore, layer: Descriptor, options: LayerReadOptions): Promise<LayerCursor> {
    if (options.signal?.aborted) throw abortError(options.signal);
    const blob = await store.openBlob(layer, options.signal ? { signal: options.signal } : {});
    let compression: LayerCompression;
    let decoders: Transform[];
    try {
      const { head, ended } = await peek(blob, SNIFF_BYTES, options.signal);
      if (ended) {
        throw new ArchfitError(
          'LAYER_INVALID',
          `layer ${shortDigest(layer.digest)} is only ${head.length} bytes long: not a tar archive, compressed or not`,
          { details: { layer: layer.digest } },
        );
      }
      const sniffed = sniffCompression(head);
      if (sniffed === 'xz' || sniffed === 'bzip2') {
        throw new ArchfitError(
          'LAYER_INVALID',
          `layer ${shortDigest(layer.digest)} is ${sniffed}-compressed, which OCI layers do not use and archfit does not read`,
          { details: { layer: layer.digest, compression: sniffed } },
        );
      }
      compression = sniffed;
      decoders = await createDecoders(compression, options.zstd ? { zstd: options.zstd } : {});
    } catch (error) {
      blob.destroy();
      throw layerError(layer, error, options.signal);
    }
    return new LayerCursor(layer, compression, blob, decoders, options);
  }

  /** Compressed bytes read from the store so far. */
  get bytesRead(): number {
    return this.compressed.bytes;
  }

  /** Decompressed (tar) bytes so far. */
  get bytesDecoded(): number {
    return this.decoded.bytes;
  }

  private fail(error: unknown): void {
    if (this.closing || this.failure) return;
    this.failure = layerError(this.layer, error, this.options.signal);
    this.extract.destroy(this.failure);
  }

  /**
   * The next entry, or undefined at the end of the layer. `wantHead` says, from the entry's metadata, whether to
   * keep the head of a regular file (as many bytes as `headBytesNeeded` asks for, up to `maxHeadBytes`). An entry
   * whose head is kept is returned as soon as the head is in, its stream paused: the rest of its data is read (and
   * dropped) only if the caller asks for the entry after it, so stopping at a 100 MB program reads its head only.
   */
  async next(wantHead: (entry: LayerEntry) => boolean): Promise<LayerEntry | undefined> {
    if (this.done) return undefined;
    if (this.failure) throw this.failure;
    if (this.options.signal?.aborted) throw abortError(this.options.signal);
    try {
      const rest = this.rest;
      if (rest) {
        this.rest = undefined;
        rest.resume();
        await rest.ended;
      }
      const result = await this.entries.next();
      if (this.failure) throw this.failure;
      if (result.done) {
        // A cursor closed while waiting ends its entries too: that is not the end of the layer.
        if (this.closing)
          throw new ArchfitError('ABORTED', `reading layer ${shortDigest(this.layer.digest)} was stopped`);
        this.done = true;
        return undefined;
      }
      const entry = classify(result.value.header, this.nextIndex++);
      const capture = entry.type === 'file' && entry.size > 0 && wantHead(entry);
      const reading = read(result.value, capture ? this.options.maxHeadBytes : 0);
      if (capture) {
        entry.head = await reading.head;
        this.rest = reading;
      } else {
        await reading.ended;
      }
      return entry;
    } catch (error) {
      throw this.failure ?? layerError(this.layer, error, this.options.signal);
    }
  }

  /**
   * Stops reading: destroys the streams (the blob is not read to its end, so its digest is not checked). With a
   * `reason`, a `next()` waiting now or called later fails with it.
   */
  close(reason?: ArchfitError): void {
    if (reason && !this.failure) this.failure = reason;
    if (this.closing) return;
    this.closing = true;
    for (const s of this.streams) s.destroy();
  }
}

interface EntryReading {
  /** The head: resolves once `headBytesNeeded` is satisfied (the stream is then paused) or at the entry's end. */
  head: Promise<Uint8Array>;
  /** Resolves when the entry's data has been read to its end. */
  ended: Promise<void>;
  resume(): void;
}

/** Reads an entry's data, keeping the head `headBytesNeeded` asks for (none when `max` is 0), dropping the rest. */
function read(stream: TarEntryStream, max: number): EntryReading {
  let head = Buffer.alloc(0);
  let need = max > 0 ? headBytesNeeded(head, max) : 0;
  let resolveHead: (head: Uint8Array) => void = () => undefined;
  let headDone = max === 0;
  const headPromise = new Promise<Uint8Array>((resolve) => {
    resolveHead = resolve;
  });
  const finishHead = () => {
    if (headDone) return;
    headDone = true;
    resolveHead(head);
  };
  const ended = new Promise<void>((resolve, reject) => {
    let done = false;
    stream.on('data', (data: unknown) => {
      if (headDone) return;
      const chunk = data as Buffer;
      let offset = 0;
      while (offset < chunk.length && head.length < need) {
        const take = Math.min(need - head.length, chunk.length - offset);
        head = Buffer.concat([head, chunk.subarray(offset, offset + take)]);
        offset += take;
        need = headBytesNeeded(head, max);
      }
      if (head.length >= need) {
        stream.pause();
        finishHead();
      }
    });
    stream.on('end', () => {
      done = true;
      finishHead();
      resolve();
    });
    stream.on('error', (error: unknown) => reject(error));
    stream.on('close', () => {
      if (!done) reject(new Error('the tar entry was cut off'));
    });
  });
  // The head promise must settle even when the entry fails before the head is in.
  const head$ = Promise.race([headPromise, ended.then(() => head)]);
  // Nobody may wait for the rest of an entry the caller stopped at, nor for a head not asked for.
  ended.catch(() => undefined);
  head$.catch(() => undefined);
  stream.resume();
  return { head: head$, ended, resume: () => stream.resume() };
}

function classify(header: TarEntryStream['header'], index: number): LayerEntry {
  const path = normalizePath(header.name ?? '');
  const mode = typeof header.mode === 'number' ? header.mode & 0o7777 : 0;
  const size = typeof header.size === 'number' && header.size >= 0 ? header.size : 0;
  const base = baseName(path);
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const dir = parentOf(path);
    if (base === OPAQUE) return { index, path: dir, type: 'opaque', mode, size };
    // Other `.wh..wh.` names are aufs metadata (`.wh..wh.plnk`); a bare `.wh.` (or `.wh..`) names no file and must
    // not delete its directory.
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (base.startsWith(META_PREFIX) || name === '' || name === '.' || name === '..') {
      return { index, path, type: 'ignored', mode, size };
    }
    return { index, path: joinPath(dir, name), type: 'whiteout', mode, size };
  }
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return { index, path, type: 'file', mode, size };
    case 'directory':
      return { index, path, type: 'dir', mode, size: 0 };
    case 'symlink':
      return { index, path, type: 'symlink', mode, size: 0, linkname: header.linkname ?? '' };
    case 'link':
      return { index, path, type: 'hardlink', mode, size: 0, linkname: normalizePath(header.linkname ?? '') };
    default:
      return { index, path, type: 'other', mode, size };
  }
}

/** Any failure while reading a layer, as an ArchfitError with a code and the layer's digest. */
export function layerError(layer: Descriptor, error: unknown, signal?: AbortSignal): ArchfitError {
  if (isArchfitError(error)) return error;
  if (signal?.aborted) return abortError(signal);
  const name = (error as { name?: string } | null)?.name;
  if (name === 'AbortError') return abortError(signal);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  let reason: string;
  if (typeof code === 'string' && code.startsWith('Z_')) reason = `the gzip data is corrupt or truncated (${message})`;
  else if (error instanceof ZstdFormatError || message.startsWith('zstd')) reason = message;
  else if (/Invalid tar header|Unknown format|Invalid header/i.test(message)) {
    reason = `it is not a valid tar archive (${message})`;
  } else if (/Unexpected end of data|cut off/i.test(message)) reason = 'the tar archive is truncated';
  else if (/Header exceeds max size/i.test(message)) reason = 'a tar long-name or PAX header is over 4 MiB';
  else reason = message;
  return new ArchfitError('LAYER_INVALID', `layer ${shortDigest(layer.digest)}: ${reason}`, {
    cause: error,
    details: { layer: layer.digest },
  });
}
