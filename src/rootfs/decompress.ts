// Layer decompression chosen by the first bytes, never by the media type (registries and tools mislabel layers):
// gzip (1f 8b), zstd (28 b5 2f fd, or a skippable frame first), anything else is read as a plain tar. xz and bzip2
// are recognised only to say clearly that they are not supported.
//
// zstd goes through the frame walker, then node:zlib's decoder where it exists (Node >= 22.15) or fzstd, a pure
// JavaScript decoder, on older Node. fzstd does not verify checksums and decodes wrongly past a 2^26 window, so it
// gets frames with windows up to 32 MiB only; what it produces is also checked against the layer's DiffID when a
// layer is read to its end.
import { type Transform, type TransformCallback, Transform as TransformStream } from 'node:stream';
import * as zlib from 'node:zlib';
import { hasZstdMagic, ZstdFrameWalker } from './zstd-frames.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';
export type ZstdDecoder = 'auto' | 'node' | 'fzstd';

/** The largest window fzstd is given. */
export const FZSTD_MAX_WINDOW = 32 * 1024 * 1024;
/** Bytes `sniffCompression` looks at. */
export const SNIFF_BYTES = 6;

export type Sniffed = LayerCompression | 'xz' | 'bzip2';

export function sniffCompression(head: Uint8Array): Sniffed {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (hasZstdMagic(head)) return 'zstd';
  if ([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((b, i) => head[i] === b)) return 'xz';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

type ZlibWithZstd = typeof zlib & { createZstdDecompress?: () => Transform };

/** Does this Node have a zstd decoder in node:zlib? */
export function nodeHasZstd(): boolean {
  return typeof (zlib as ZlibWithZstd).createZstdDecompress === 'function';
}

/** fzstd's streaming decoder as a Transform; it is fed one block at a time by the walker. */
class FzstdTransform extends TransformStream {
  private readonly decoder: { push(chunk: Uint8Array, final?: boolean): unknown };

  constructor(Decompress: new (ondata: (data: Uint8Array, final?: boolean) => unknown) => FzstdDecompress) {
    super();
    this.decoder = new Decompress((data) => {
      // fzstd may hand out views of its window buffer, which it then overwrites: copy.
      if (data.length > 0) this.push(Buffer.from(data));
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      callback();
    } catch (error) {
      callback(zstdError(error));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      callback();
    } catch (error) {
      callback(zstdError(error));
    }
  }
}

interface FzstdDecompress {
  push(chunk: Uint8Array, final?: boolean): unknown;
}

function zstdError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`zstd data is corrupt: ${message}`, { cause: error });
}

/**
 * The decoding stages for a layer compressed with `compression` (none for a plain tar). zstd is the walker
 * followed by the decoder; `zstd` picks the decoder ('auto': node:zlib when it has one, else fzstd).
 */
export async function createDecoders(
  compression: LayerCompression,
  options: { zstd?: ZstdDecoder } = {},
): Promise<Transform[]> {
  if (compression === 'gzip') return [zlib.createGunzip()];
  if (compression === 'none') return [];
  const choice = options.zstd ?? 'auto';
  const useNode = choice === 'node' || (choice === 'auto' && nodeHasZstd());
  if (useNode) {
    const create = (zlib as ZlibWithZstd).createZstdDecompress;
    if (!create) throw new Error(`this Node (${process.version}) has no zstd decoder in node:zlib`);
    return [new ZstdFrameWalker({ decoderName: 'node:zlib' }), create()];
  }
  const { Decompress } = await import('fzstd');
  return [
    new ZstdFrameWalker({ maxWindowBytes: FZSTD_MAX_WINDOW, decoderName: `fzstd on Node ${process.version}` }),
    new FzstdTransform(Decompress as unknown as new (ondata: (data: Uint8Array) => unknown) => FzstdDecompress),
  ];
}
