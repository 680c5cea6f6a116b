// Reading small bodies (manifests, configs, tokens, error bodies, tag lists) into memory with a cap enforced while
// reading, whatever Content-Length claims: one byte over the cap ends the read.
import type { Readable } from 'node:stream';
import { ArchfitError } from '../errors.js';

export interface ReadCappedOptions {
  /** Return the first `limit` bytes instead of failing (error bodies). */
  truncate?: boolean;
  /** For the message: "manifest", "token response". */
  what?: string;
  /** For the message: "GET https://…". */
  source?: string;
  /** The error to throw when the body is longer than the limit (default SIZE_LIMIT). */
  tooLong?: () => ArchfitError;
  /** Maps a failure of the stream itself (a reset connection) to the error to throw. */
  mapError?: (error: unknown) => Error;
}

/** Drops a body without reading it (closing its connection); undici's abort error is expected and swallowed. */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

export async function readCapped(body: Readable, limit: number, options: ReadCappedOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      if (total + buf.length > limit) {
        if (options.truncate) {
          chunks.push(buf.subarray(0, limit - total));
          total = limit;
          discard(body);
          break;
        }
        discard(body);
        throw (
          options.tooLong?.() ??
          new ArchfitError(
            'SIZE_LIMIT',
            `${options.source ? `${options.source}: ` : ''}the ${options.what ?? 'response'} is larger than the ${limit}-byte limit`,
            { details: { limit } },
          )
        );
      }
      chunks.push(buf);
      total += buf.length;
    }
  } catch (error) {
    discard(body);
    if (error instanceof ArchfitError || options.mapError === undefined) throw error;
    throw options.mapError(error);
  }
  return Buffer.concat(chunks, total);
}
