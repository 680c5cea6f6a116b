// A walker of the zstd frame format (RFC 8878 §3.1) that sits in front of the decoder. It reads frame headers and
// block headers and passes data frames through untouched, so that:
// - skippable frames (zstd:chunked puts its metadata in them) are dropped: node:zlib's zstd stream fails on them;
// - a window larger than the decoder handles reliably is refused before the decoder allocates it (fzstd on Node 20
//   returns wrong bytes past 2^26 and allocates whatever a header asks for);
// - frames that need a dictionary, reserved bits and reserved block types fail with a clear message;
// - no chunk it pushes spans two blocks, so no decoder write spans two frames (node:zlib drops frames that share
//   a write), and a decoder fed one block at a time produces at most 128 KiB per write (back-pressure holds).
import { Transform, type TransformCallback } from 'node:stream';

const DATA_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Block_Maximum_Size: no block regenerates more than this. */
const MAX_BLOCK = 128 * 1024;

export class ZstdFormatError extends Error {
  override readonly name = 'ZstdFormatError';
}

/** True when the bytes start with a zstd frame, data or skippable. */
export function hasZstdMagic(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const magic = ((bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24)) >>> 0;
  return magic === DATA_MAGIC || (magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC;
}

export interface FrameHeader {
  windowSize: number;
  contentSize?: number;
  dictionaryId: number;
  checksum: boolean;
}

export interface ZstdFrameWalkerOptions {
  /** Refuse frames whose window (or single-segment content size) is larger than this. */
  maxWindowBytes?: number;
  /** Who decodes, for the message when a window is refused. */
  decoderName?: string;
}

type State = 'magic' | 'skip-size' | 'skip' | 'descriptor' | 'frame-header' | 'block-header' | 'block' | 'checksum';

function le(bytes: Uint8Array, start: number, length: number): number {
  let value = 0;
  for (let i = length - 1; i >= 0; i--) value = value * 256 + (bytes[start + i] ?? 0);
  return value;
}

export class ZstdFrameWalker extends Transform {
  private state: State = 'magic';
  /** Header bytes gathered so far for the current header state. */
  private pending = Buffer.alloc(0);
  private need = 4;
  /** Bytes left to pass through (block, checksum) or drop (skippable frame). */
  private remaining = 0;
  private descriptor = 0;
  private checksum = false;
  private lastBlock = false;
  private out: Buffer[] = [];
  /** Data frames seen so far. */
  frames = 0;
  readonly options: ZstdFrameWalkerOptions;

  constructor(options: ZstdFrameWalkerOptions = {}) {
    super();
    this.options = options;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      this.flushOut();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'magic' || this.pending.length > 0) {
      callback(new ZstdFormatError('the zstd data is truncated (it ends inside a frame)'));
      return;
    }
    callback();
  }

  private output(bytes: Buffer): void {
    if (bytes.length > 0) this.out.push(bytes);
  }

  private flushOut(): void {
    if (this.out.length === 0) return;
    const bytes = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.push(bytes);
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.pending = Buffer.alloc(0);
  }

  private consume(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'skip' || this.state === 'block' || this.state === 'checksum') {
        const n = Math.min(this.remaining, chunk.length - i);
        if (this.state !== 'skip') this.output(chunk.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.afterBody();
        continue;
      }
      const take = Math.min(this.need - this.pending.length, chunk.length - i);
      this.pending = Buffer.concat([this.pending, chunk.subarray(i, i + take)]);
      i += take;
      if (this.pending.length === this.need) this.onHeader(this.pending);
    }
  }

  /** A body (skippable payload, block, checksum) has been passed or dropped in full. */
  private afterBody(): void {
    switch (this.state) {
      case 'skip':
        this.expect('magic', 4);
        return;
      case 'block':
        this.flushOut();
        if (!this.lastBlock) this.expect('block-header', 3);
        else if (this.checksum) {
          this.state = 'checksum';
          this.remaining = 4;
        } else this.endFrame();
        return;
      case 'checksum':
        this.endFrame();
        return;
      default:
        return;
    }
  }

  private endFrame(): void {
    this.flushOut();
    this.frames++;
    this.expect('magic', 4);
  }

  private onHeader(bytes: Buffer): void {
    switch (this.state) {
      case 'magic': {
        const magic = le(bytes, 0, 4) >>> 0;
        if (magic === DATA_MAGIC) {
          this.output(bytes);
          this.expect('descriptor', 1);
        } else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
          this.expect('skip-size', 4);
        } else {
          throw new ZstdFormatError(
            `not a zstd frame at this point (magic 0x${magic.toString(16).padStart(8, '0')}): corrupt data or trailing garbage`,
          );
        }
        return;
      }
      case 'skip-size':
        this.remaining = le(bytes, 0, 4);
        if (this.remaining === 0) this.expect('magic', 4);
        else this.state = 'skip';
        return;
      case 'descriptor': {
        const fhd = bytes[0] ?? 0;
        if (fhd & 0x08) throw new ZstdFormatError('a zstd frame header has its reserved bit set');
        this.descriptor = fhd;
        this.output(bytes);
        const size = frameHeaderSize(fhd);
        if (size === 0) this.onFrameHeader(Buffer.alloc(0));
        else this.expect('frame-header', size);
        return;
      }
      case 'frame-header':
        this.onFrameHeader(bytes);
        return;
      case 'block-header': {
        const header = le(bytes, 0, 3);
        this.lastBlock = (header & 1) === 1;
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw new ZstdFormatError('a zstd block has the reserved block type');
        if (size > MAX_BLOCK) throw new ZstdFormatError(`a zstd block of ${size} bytes is over the 128 KiB maximum`);
        this.output(bytes);
        this.state = 'block';
        this.remaining = type === 1 ? 1 : size;
        if (this.remaining === 0) this.afterBody();
        return;
      }
      default:
        return;
    }
  }

  private onFrameHeader(bytes: Buffer): void {
    const header = parseFrameHeader(this.descriptor, bytes);
    if (header.dictionaryId !== 0) {
      throw new ZstdFormatError(`a zstd frame needs dictionary ${header.dictionaryId}, which layers cannot carry`);
    }
    const max = this.options.maxWindowBytes;
    if (max !== undefined && header.windowSize > max) {
      throw new ZstdFormatError(
        `a zstd frame needs a ${mib(header.windowSize)} window, over the ${mib(max)} that ${this.options.decoderName ?? 'this decoder'} handles reliably`,
      );
    }
    this.checksum = header.checksum;
    this.output(bytes);
    this.expect('block-header', 3);
  }
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB` : `${bytes} bytes`;
}

/** Bytes after the Frame_Header_Descriptor: Window_Descriptor, Dictionary_ID, Frame_Content_Size. */
export function frameHeaderSize(descriptor: number): number {
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictFlag = descriptor & 3;
  const dictBytes = [0, 1, 2, 4][dictFlag] ?? 0;
  const fcsBytes = fcsFlag === 0 ? singleSegment : ([0, 2, 4, 8][fcsFlag] ?? 0);
  return (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
}

/** Parses the fields after the descriptor (as sized by `frameHeaderSize`). */
export function parseFrameHeader(descriptor: number, bytes: Uint8Array): FrameHeader {
  const fcsFlag = descriptor >> 6;
  const singleSegment = ((descriptor >> 5) & 1) === 1;
  const dictBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] ?? 0);
  let at = 0;
  let windowSize = 0;
  if (!singleSegment) {
    const wd = bytes[at++] ?? 0;
    const base = 2 ** (10 + (wd >> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  const dictionaryId = le(bytes, at, dictBytes);
  at += dictBytes;
  let contentSize: number | undefined;
  if (fcsBytes > 0) {
    // 8-byte sizes beyond 2^53 lose precision; they are only compared with limits far below that.
    contentSize = le(bytes, at, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
  }
  if (singleSegment) windowSize = contentSize ?? 0;
  return {
    windowSize,
    ...(contentSize !== undefined ? { contentSize } : {}),
    dictionaryId,
    checksum: ((descriptor >> 2) & 1) === 1,
  };
}
