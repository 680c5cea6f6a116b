// A blob download that survives a broken connection: when the body stops early (reset, timeout, a clean close
// before `size` bytes), the rest is asked for with `Range: bytes=N-`; a 206 must carry a Content-Range that starts
// at N, and a 200 (the server ignored the range) restarts the body and drops the first N bytes again. Whatever
// happens, the bytes handed on pass through one VerifyingStream, so the digest and size are checked end to end.
import { pipeline, Readable } from 'node:stream';
import { type Digest, VerifyingStream } from '../digest/index.js';
import { ArchfitError, isArchfitError } from '../errors.js';
import { discard } from './body.js';
import { abortedError, transportError } from './errors.js';
import { redactUrl } from './redact.js';
import { errorCodes, isRetryableNetworkError } from './retry.js';
import type { HttpResponse, Transport } from './transport.js';
import { header, parseContentRange } from './url.js';

export interface BlobStreamInput {
  transport: Transport;
  digest: Digest;
  size: number;
  /** The first response (status 200), its body not yet read. */
  first: HttpResponse;
  /** Asks again from `offset` (with a Range header when offset > 0); resolves to a 200 or 206 response or throws. */
  reopen(offset: number): Promise<HttpResponse>;
  /** For messages: "GET https://…/blobs/sha256:…". */
  source: string;
  signal?: AbortSignal | undefined;
}

class ShortBody extends Error {
  readonly code = 'SHORT_BODY';
}

export function resumableBlobStream(input: BlobStreamInput): Readable {
  const { transport, size, signal } = input;
  const verifying = new VerifyingStream({ digest: input.digest, size, source: input.source });
  async function* bytes(): AsyncGenerator<Buffer> {
    let res = input.first;
    let offset = 0;
    let skip = 0;
    const budget = transport.budget();
    try {
      while (true) {
        try {
          for await (const chunk of res.body) {
            let c = chunk as Buffer;
            if (skip > 0) {
              if (c.length <= skip) {
                skip -= c.length;
                continue;
              }
              c = c.subarray(skip);
              skip = 0;
            }
            offset += c.length;
            yield c;
          }
          if (skip > 0 || offset < size) throw new ShortBody(`the body ended after ${offset} of ${size} bytes`);
          return;
        } catch (error) {
          if (signal?.aborted) throw abortedError('GET', res.url, signal.reason);
          if (isArchfitError(error)) throw error;
          if (!(error instanceof ShortBody) && !isRetryableNetworkError(error)) {
            throw transportError('GET', res.url, error, transport.redactor);
          }
          const wait = budget.next();
          if (wait === undefined) {
            if (error instanceof ShortBody) {
              throw new ArchfitError('SIZE_MISMATCH', `${input.source}: ${error.message}, and retries are spent`, {
                details: { expected: size, received: offset },
              });
            }
            throw transportError('GET', res.url, error, transport.redactor);
          }
          transport.log(
            `${input.source}: body interrupted after ${offset} of ${size} bytes (${errorCodes(error)[0] ?? 'short body'}); resuming in ${wait} ms (attempt ${budget.attempts}/${transport.policy.maxAttempts})`,
          );
          discard(res.body);
          await transport.sleep(wait, signal, 'GET', res.url);
          skip = 0;
          res = await input.reopen(offset);
          if (offset > 0 && res.status === 206) {
            const range = parseContentRange(header(res.headers, 'content-range'));
            if (!range || range.start !== offset || (range.total !== undefined && range.total !== size)) {
              discard(res.body);
              throw new ArchfitError(
                'REGISTRY_ERROR',
                `GET ${redactUrl(res.url)}: asked for bytes ${offset}- but got Content-Range ${JSON.stringify(header(res.headers, 'content-range') ?? '')}`,
              );
            }
          } else if (res.status === 200) {
            // The server ignored the range: read from the start again and drop what was already passed on.
            skip = offset;
          } else {
            discard(res.body);
            throw new ArchfitError('REGISTRY_ERROR', `GET ${redactUrl(res.url)}: HTTP ${res.status} to a resumed read`);
          }
        }
      }
    } finally {
      discard(res.body);
    }
  }
  pipeline(Readable.from(bytes(), { objectMode: false }), verifying, () => {
    // Errors reach the consumer through `verifying`, which pipeline destroys with them.
  });
  return verifying;
}
