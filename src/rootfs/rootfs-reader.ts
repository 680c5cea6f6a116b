// The merged root filesystem of an image, read on demand from the top layer down. A question ("what is at /bin/sh?")
// is answered by the topmost layer that says something about the path: an entry at it (a later duplicate in the
// same layer would win, but with `stopEarly` the first one answers), a whiteout of it or of a parent, or an opaque
// directory above it (which hides lower layers only: entries of its own layer stay, whatever their order). A layer
// is read only as far as needed, and lower layers are not opened at all once the answer is known. Everything read
// is remembered as metadata (path, type, mode, size, link target), so later questions are answered from memory;
// file contents are kept only as heads (a few hundred bytes to 64 KiB) of executables and of the files asked for.
//
// Paths are walked component by component the way the kernel walks them inside a chroot: symlinks (absolute ones
// from the image root, relative ones from their directory, `..` stopping at the root) are followed at most 40
// times (ELOOP), and hard links resolve to an entry seen earlier in the same layer or to the merged layers below.
// A layer entry is placed at its own path; a lower layer's symlink on one of its parent directories is not followed.

import { type Digest, shortDigest } from '../digest/index.js';
import { ArchfitError } from '../errors.js';
import type { ContentStore, Descriptor } from '../image/index.js';
import type { ZstdDecoder } from './decompress.js';
import { abortError, LayerCursor, type LayerEntry, type LayerReadOptions } from './layer-reader.js';
import { components, isWithin, joinPath, normalizePath, parentOf } from './paths.js';

/** Linux's MAXSYMLINKS: more links than this in one path walk fail with ELOOP. */
export const MAX_SYMLINK_HOPS = 40;

export interface RootfsLimits {
  /** Decompressed bytes read from one layer before SIZE_LIMIT (default 8 GiB). */
  maxLayerBytes: number;
  /** Tar entries read over all layers before SIZE_LIMIT (default 1,000,000). */
  maxEntries: number;
  /** The most of one file's head kept (default 64 KiB: the kernel reads no more program headers than that). */
  maxHeadBytes: number;
  /**
   * Heads of executables kept in advance, in bytes over all layers (default 64 MiB). Past it, only heads of paths
   * asked for are kept, and a head needed later costs a second read of its layer.
   */
  maxCapturedBytes: number;
}

export const DEFAULT_ROOTFS_LIMITS: Readonly<RootfsLimits> = {
  maxLayerBytes: 8 * 1024 ** 3,
  maxEntries: 1_000_000,
  maxHeadBytes: 64 * 1024,
  maxCapturedBytes: 64 * 1024 * 1024,
};

export interface RootfsReaderOptions {
  signal?: AbortSignal;
  limits?: Partial<RootfsLimits>;
  /**
   * Settle a path at the first entry found for it in a layer, and stop reading there (default true). False reads
   * each layer that is opened to its end, so a later duplicate entry wins as it would on extraction.
   */
  stopEarly?: boolean;
  /**
   * The config's `rootfs.diff_ids`, bottom layer first: a layer read to its end must decompress to its DiffID
   * (this catches a decoder that produces wrong bytes without an error).
   */
  diffIds?: readonly Digest[];
  /** Which zstd decoder to use (default: node:zlib's when this Node has one, else fzstd). */
  zstd?: ZstdDecoder;
}

/** What a path resolves to in the merged filesystem. */
export interface RootfsNode {
  /** The canonical path (after every symlink). */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size: number;
  /** For a symlink (only when the final link was not followed). */
  linkname?: string;
  /** The layer whose entry put this here (undefined for the root and for directories no entry names). */
  layer?: Descriptor;
  /** When the entry is a hard link: the path it links to. */
  hardlinkTarget?: string;
}

export type ResolveErrno = 'ENOENT' | 'ENOTDIR' | 'ELOOP' | 'EBADLINK';

export type Resolution =
  | { ok: true; node: RootfsNode; chain: string[] }
  | {
      ok: false;
      errno: ResolveErrno;
      /** The path where the walk failed (the missing component, the link in a loop …). */
      at: string;
      message: string;
      chain: string[];
      /** The layer of the entry at fault (the link), or of the whiteout that removed `at`. */
      layer?: Descriptor;
      /** `at` exists in a lower layer but a whiteout or an opaque directory in `layer` hides it. */
      whiteout?: boolean;
    };

export interface ResolveOptions {
  /** The directory a relative path starts from (default `/`). */
  cwd?: string;
  /** Follow a symlink in the final component (default true). */
  follow?: boolean;
}

interface Found {
  layer: LayerState;
  entry: LayerEntry;
}

type Answer = { kind: 'found'; entry: LayerEntry } | { kind: 'hidden' } | { kind: 'none' };

class LayerState {
  readonly entries = new Map<string, LayerEntry>();
  readonly whiteouts = new Set<string>();
  readonly opaque = new Set<string>();
  /** Directories that exist in this layer because something lies in them. */
  readonly implied = new Set<string>();
  cursor: LayerCursor | undefined;
  opened = false;
  done = false;

  constructor(
    readonly descriptor: Descriptor,
    /** Position in the manifest (0 is the bottom layer). */
    readonly position: number,
    readonly diffId: Digest | undefined,
  ) {}

  record(entry: LayerEntry): void {
    switch (entry.type) {
      case 'whiteout':
        this.whiteouts.add(entry.path);
        this.imply(parentOf(entry.path));
        return;
      case 'opaque':
        this.opaque.add(entry.path);
        this.imply(entry.path);
        return;
      case 'ignored':
        this.imply(parentOf(entry.path));
        return;
      default:
        // An entry for the root itself changes nothing the walk looks at.
        if (entry.path === '/') return;
        this.entries.set(entry.path, entry);
        this.imply(parentOf(entry.path));
    }
  }

  private imply(dir: string): void {
    while (dir !== '/' && !this.implied.has(dir)) {
      this.implied.add(dir);
      dir = parentOf(dir);
    }
  }

  /** What this layer (as far as it has been read) says about `path`. */
  answer(path: string): Answer {
    const entry = this.entries.get(path);
    if (entry) return { kind: 'found', entry };
    if (this.implied.has(path)) {
      return { kind: 'found', entry: { index: -1, path, type: 'dir', mode: 0o755, size: 0 } };
    }
    if (this.whiteouts.has(path)) return { kind: 'hidden' };
    for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) {
      if (this.whiteouts.has(dir) || this.opaque.has(dir)) return { kind: 'hidden' };
    }
    if (this.opaque.has('/')) return { kind: 'hidden' };
    return { kind: 'none' };
  }
}

/**
 * Reads an image's merged root filesystem lazily. Create one per image (`manifest.layers`, bottom first), ask
 * `resolve()` and `head()`, then `close()` (which destroys the layer streams still open).
 */
export class RootfsReader {
  private readonly layers: LayerState[];
  private readonly limits: RootfsLimits;
  private readonly stopEarly: boolean;
  private readonly wanted = new Set<string>();
  private entryCount = 0;
  private captured = 0;
  private closedBytes = 0;
  private layersOpened = 0;
  private readonly refetches = new Set<LayerCursor>();
  /** Where each node's bytes are (the entry, and the layer it is in). */
  private readonly sources = new WeakMap<RootfsNode, Found>();
  private readonly onAbort: () => void;
  /** Set by `close()`: what reads after it fail with. */
  private closed: ArchfitError | undefined;

  constructor(
    private readonly store: ContentStore,
    layers: readonly Descriptor[],
    private readonly options: RootfsReaderOptions = {},
  ) {
    this.limits = { ...DEFAULT_ROOTFS_LIMITS, ...options.limits };
    this.stopEarly = options.stopEarly ?? true;
    const diffIds = options.diffIds && options.diffIds.length === layers.length ? options.diffIds : undefined;
    this.layers = layers.map((d, i) => new LayerState(d, i, diffIds?.[i])).reverse();
    this.onAbort = () => this.close(abortError(options.signal));
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Compressed bytes read from the store so far, over all layers (second reads included). */
  get bytesRead(): number {
    let live = 0;
    for (const layer of this.layers) live += layer.cursor?.bytesRead ?? 0;
    for (const cursor of this.refetches) live += cursor.bytesRead;
    return this.closedBytes + live;
  }

  /** How many distinct layers were opened. */
  get layersRead(): number {
    return this.layersOpened;
  }

  /** Ask for the heads of these paths to be kept when their entries pass (saves second reads). */
  want(paths: Iterable<string>): void {
    for (const p of paths) this.wanted.add(normalizePath(p));
  }

  /**
   * Destroys every open layer stream; a read in progress then fails with `reason` (default ABORTED). Safe to call
   * more than once.
   */
  close(reason?: ArchfitError): void {
    this.closed ??= reason ?? new ArchfitError('ABORTED', 'the deep check was stopped (its reader is closed)');
    this.options.signal?.removeEventListener('abort', this.onAbort);
    for (const layer of this.layers) {
      if (layer.cursor) {
        this.closedBytes += layer.cursor.bytesRead;
        layer.cursor.close(reason);
        layer.cursor = undefined;
      }
    }
    for (const cursor of this.refetches) cursor.close(reason);
  }

  private readOptions(layer: LayerState, verify: boolean): LayerReadOptions {
    return {
      maxLayerBytes: this.limits.maxLayerBytes,
      maxHeadBytes: this.limits.maxHeadBytes,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      ...(verify && layer.diffId ? { diffId: layer.diffId } : {}),
      ...(this.options.zstd ? { zstd: this.options.zstd } : {}),
    };
  }

  private keepHead(entry: LayerEntry): boolean {
    if (this.wanted.has(entry.path)) return true;
    return (entry.mode & 0o111) !== 0 && this.captured < this.limits.maxCapturedBytes;
  }

  /** Reads the next entry of a layer (opening it first); undefined at its end. */
  private async advance(layer: LayerState): Promise<LayerEntry | undefined> {
    if (layer.done) return undefined;
    if (this.options.signal?.aborted) throw abortError(this.options.signal);
    if (this.closed) throw this.closed;
    if (!layer.cursor) {
      layer.cursor = await LayerCursor.open(
        this.store,
        layer.descriptor,
        this.readOptions(layer, this.options.diffIds !== undefined),
      );
      if (!layer.opened) {
        layer.opened = true;
        this.layersOpened++;
      }
    }
    const cursor = layer.cursor;
    const entry = await cursor.next((e) => this.keepHead(e));
    if (!entry) {
      layer.done = true;
      this.closedBytes += cursor.bytesRead;
      cursor.close();
      layer.cursor = undefined;
      return undefined;
    }
    if (++this.entryCount > this.limits.maxEntries) {
      throw new ArchfitError(
        'SIZE_LIMIT',
        `the image's layers hold more than ${this.limits.maxEntries} entries, the limit for a deep check`,
        { details: { limit: this.limits.maxEntries } },
      );
    }
    if (entry.head) this.captured += entry.head.length;
    layer.record(entry);
    return entry;
  }

  /**
   * The entry at exactly `path` (no symlinks followed) in the merged view of the layers from `from` down; when there
   * is none because a layer hides it, that layer.
   */
  private async lookup(path: string, from = 0): Promise<Found | { hiddenBy: LayerState } | undefined> {
    for (let i = from; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      let answer = layer.answer(path);
      while (!layer.done && !(answer.kind === 'found' && this.stopEarly)) {
        const entry = await this.advance(layer);
        if (!entry) break;
        if (isWithin(path, entry.path) || isWithin(entry.path, path)) answer = layer.answer(path);
      }
      if (answer.kind === 'found') return { layer, entry: answer.entry };
      if (answer.kind === 'hidden') return { hiddenBy: layer };
    }
    return undefined;
  }

  private async find(path: string, from = 0): Promise<Found | undefined> {
    const result = await this.lookup(path, from);
    return result && 'entry' in result ? result : undefined;
  }

  /** Follows hard links to the entry holding the data. */
  private async followHardlinks(found: Found): Promise<Found | { errno: 'EBADLINK' | 'ELOOP'; message: string }> {
    let current = found;
    for (let hops = 0; current.entry.type === 'hardlink'; hops++) {
      if (hops >= MAX_SYMLINK_HOPS) {
        return {
          errno: 'ELOOP',
          message: `more than ${MAX_SYMLINK_HOPS} hard links in a chain at ${found.entry.path}`,
        };
      }
      const target = current.entry.linkname ?? '/';
      const same = current.layer.entries.get(target);
      const next =
        same && same.index < current.entry.index
          ? { layer: current.layer, entry: same }
          : await this.find(target, this.layers.indexOf(current.layer) + 1);
      if (!next || next.entry.type === 'dir') {
        return {
          errno: 'EBADLINK',
          message: `hard link ${current.entry.path} points at ${target}, which ${next ? 'is a directory' : 'is not in this layer before it nor in a lower layer'}`,
        };
      }
      current = next;
    }
    return current;
  }

  /**
   * Walks `path` through the merged filesystem, following symlinks (the final one too unless `follow` is false).
   * `chain` lists the path as given (made absolute) and the path after each symlink.
   */
  async resolve(path: string, options: ResolveOptions = {}): Promise<Resolution> {
    const cwd = normalizePath(options.cwd ?? '/');
    const follow = options.follow ?? true;
    let current = path.startsWith('/') ? '/' : cwd;
    let pending = components(path);
    const chain = [normalizePath(path.startsWith('/') ? path : `${cwd}/${path}`)];
    let hops = 0;
    let node: RootfsNode | undefined;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        current = parentOf(current);
        node = undefined;
        continue;
      }
      const next = joinPath(current, part);
      const last = pending.length === 0;
      if (last) this.wanted.add(next);
      const found = await this.lookup(next);
      if (!found || 'hiddenBy' in found) {
        const hiddenBy = found?.hiddenBy;
        return {
          ok: false,
          errno: 'ENOENT',
          at: next,
          message: hiddenBy
            ? `${next} is deleted by a whiteout in layer ${shortDigest(hiddenBy.descriptor.digest)}`
            : `${next} does not exist`,
          chain,
          ...(hiddenBy ? { layer: hiddenBy.descriptor, whiteout: true } : {}),
        };
      }
      const data = found.entry.type === 'hardlink' ? await this.followHardlinks(found) : found;
      if ('errno' in data) {
        return { ok: false, errno: data.errno, at: next, message: data.message, chain, layer: found.layer.descriptor };
      }
      const entry = data.entry;
      if (entry.type === 'symlink' && (!last || follow)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          return {
            ok: false,
            errno: 'ELOOP',
            at: next,
            message: `more than ${MAX_SYMLINK_HOPS} symbolic links while resolving ${chain[0]} (a loop?)`,
            chain,
            layer: found.layer.descriptor,
          };
        }
        const target = entry.linkname ?? '';
        if (target === '') {
          return { ok: false, errno: 'ENOENT', at: next, message: `${next} is an empty symbolic link`, chain };
        }
        if (target.startsWith('/')) current = '/';
        pending = [...components(target), ...pending];
        chain.push(normalizePath(`${current}/${pending.join('/')}`));
        continue;
      }
      if (!last && entry.type !== 'dir') {
        return { ok: false, errno: 'ENOTDIR', at: next, message: `${next} is not a directory`, chain };
      }
      current = next;
      node = {
        path: next,
        type: entry.type === 'dir' || entry.type === 'file' || entry.type === 'symlink' ? entry.type : 'other',
        mode: entry.mode,
        size: entry.size,
        ...(entry.type === 'symlink' ? { linkname: entry.linkname ?? '' } : {}),
        ...(found.entry.index >= 0 ? { layer: found.layer.descriptor } : {}),
        ...(found.entry.type === 'hardlink' ? { hardlinkTarget: data.entry.path } : {}),
      };
      this.sources.set(node, data);
    }
    if (!node) {
      // The walk ended on the root or on a `..`: a directory.
      node = { path: current, type: 'dir', mode: 0o755, size: 0 };
      if (current !== '/') {
        const found = await this.find(current);
        if (found && found.entry.index >= 0) node.layer = found.layer.descriptor;
      }
    }
    if (chain[chain.length - 1] !== node.path) chain.push(node.path);
    return { ok: true, node, chain };
  }

  /**
   * The first bytes of a regular file found by `resolve` (as many as `headBytesNeeded` asks for, up to
   * `maxHeadBytes`). Usually kept from the first read; otherwise its layer is read again up to the entry.
   */
  async head(node: RootfsNode): Promise<Uint8Array> {
    const source = this.sources.get(node);
    if (!source || node.type !== 'file') {
      throw new ArchfitError('INVALID_ARGUMENT', `no file data for ${node.path}: not a regular file from this reader`);
    }
    const { layer, entry } = source;
    if (entry.head) return entry.head;
    if (entry.size === 0) return new Uint8Array(0);
    if (this.closed) throw this.closed;
    const cursor = await LayerCursor.open(this.store, layer.descriptor, this.readOptions(layer, false));
    this.refetches.add(cursor);
    try {
      for (;;) {
        const e = await cursor.next((x) => x.index === entry.index);
        if (!e || e.index > entry.index) {
          throw new ArchfitError(
            'LAYER_INVALID',
            `layer ${layer.descriptor.digest} did not hold ${entry.path} when it was read again`,
            { details: { layer: layer.descriptor.digest } },
          );
        }
        if (e.index === entry.index) {
          entry.head = e.head ?? new Uint8Array(0);
          return entry.head;
        }
      }
    } finally {
      this.refetches.delete(cursor);
      this.closedBytes += cursor.bytesRead;
      cursor.close();
    }
  }
}
