// The blob upload state machine: POST starts a session; a monolithic PUT `?digest=` streams the whole blob, or —
// when the registry refuses that, or when asked — PATCHes of `chunkSize` bytes with Content-Range, each to the
// latest Location, then an empty PUT `?digest=`. The source streams through a VerifyingStream on its way out (its own,
// when it already is one for this digest and size), so a source that does not hash to the descriptor fails here, not
// at the registry. A failure that is worth another try (a broken connection, 5xx, 429, an expired token) reopens the
// source and starts over, within the retry budget; an abandoned session is cancelled with DELETE.
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { VerifyingStream } from '../digest/index.js';
import { ArchfitError, isArchfitError } from '../errors.js';
import type { Descriptor } from '../image/index.js';
import type { BlobSource } from '../image/store.js';
import type { RegistryRepository } from './client.js';
import { abortedError, isRetryable } from './errors.js';
import { redactUrl } from './redact.js';
import { parseRetryAfter } from './retry.js';
import { dump, type HttpResponse } from './transport.js';
import { header, parseSafeInteger, parseUploadRange, resolveLocation, withQuery } from './url.js';

export interface UploadOptions {
  mode: 'auto' | 'monolithic' | 'chunked';
  chunkSize: number;
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal | undefined;
}

/** Statuses by which a registry says "not like that" to a monolithic PUT: then chunks are tried. */
const MONOLITHIC_REFUSED = new Set([405, 411, 413, 415, 501]);

interface Session {
  location: URL;
  /** OCI-Chunk-Min-Length, when the registry says. */
  minChunk?: number;
}

export async function pushBlob(
  repo: RegistryRepository,
  descriptor: Descriptor,
  source: BlobSource,
  options: UploadOptions,
): Promise<void> {
  const transport = repo.host.transport;
  const budget = transport.budget();
  let reauthenticated = false;
  while (true) {
    try {
      await uploadOnce(repo, descriptor, source, options);
      return;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (isArchfitError(error, 'UNAUTHORIZED') && !reauthenticated) {
        // A token that lapsed during a long upload: the stream body could not be re-sent at once.
        reauthenticated = true;
        repo.host.invalidateToken();
        transport.log(`upload of ${descriptor.digest}: 401, starting over with a new token`);
        continue;
      }
      if (isRetryable(error)) {
        const after = (error as ArchfitError).details['retryAfterMs'];
        const wait = budget.next(typeof after === 'number' ? after : undefined);
        if (wait !== undefined) {
          transport.log(
            `upload of ${descriptor.digest} failed (${(error as ArchfitError).code}); starting over in ${wait} ms (attempt ${budget.attempts}/${transport.policy.maxAttempts})`,
          );
          await transport.sleep(wait, options.signal, 'PUT', `${repo.description} blob ${descriptor.digest}`);
          continue;
        }
      }
      throw error;
    }
  }
}

async function uploadOnce(
  repo: RegistryRepository,
  descriptor: Descriptor,
  source: BlobSource,
  options: UploadOptions,
): Promise<void> {
  const host = repo.host;
  const mode = options.mode === 'auto' ? (host.uploadMode ?? 'monolithic') : options.mode;
  let session: Session;
  // Set in monolithic mode only.
  let body: Readable | undefined;
  if (mode === 'monolithic') {
    // The upload session and the source's first response at the same time: a round trip less per blob.
    const [started, opened] = await Promise.allSettled([
      startUpload(repo, options.signal),
      verifiedSource(source, descriptor, options.onProgress),
    ]);
    if (started.status === 'rejected') {
      if (opened.status === 'fulfilled') opened.value.destroy();
      throw started.reason;
    }
    if (opened.status === 'rejected') {
      await repo.cancelUpload(started.value.location);
      throw opened.reason;
    }
    session = started.value;
    body = opened.value;
  } else {
    session = await startUpload(repo, options.signal);
  }
  let done = false;
  try {
    if (body) {
      const outcome = await putMonolithic(repo, session, descriptor, body, options);
      if (outcome === 'done') {
        done = true;
        return;
      }
      if (options.mode !== 'auto') {
        throw new ArchfitError('REGISTRY_ERROR', `${repo.description}: the registry refused a monolithic upload`);
      }
      host.transport.log(`${host.endpoint.host}: monolithic upload refused; using chunked uploads from now on`);
      host.uploadMode = 'chunked';
      await repo.cancelUpload(session.location);
      session = await startUpload(repo, options.signal);
    }
    await putChunked(repo, session, descriptor, source, options);
    done = true;
  } finally {
    if (!done) await repo.cancelUpload(session.location);
  }
}

async function startUpload(repo: RegistryRepository, signal: AbortSignal | undefined): Promise<Session> {
  const res = await repo.host.request({
    method: 'POST',
    path: `/v2/${repo.repository}/blobs/uploads/`,
    body: '',
    scopes: [repo.pushScope],
    kind: 'upload',
    signal,
    // A repeated POST only opens another session.
    retry: true,
  });
  if (res.status !== 202) throw await failWithRetryAfter(repo, res, 'POST');
  await dump(res);
  const location = header(res.headers, 'location');
  if (!location) {
    throw new ArchfitError('REGISTRY_ERROR', `POST ${redactUrl(res.url)}: the registry sent no upload Location`);
  }
  const session: Session = { location: resolveLocation(location, res.url, repo.host.transport.urlPolicy) };
  const minChunk = parseSafeInteger(res.headers['oci-chunk-min-length']);
  if (minChunk !== undefined) session.minChunk = minChunk;
  return session;
}

/** The error for a failed upload response, carrying Retry-After for the retry loop. */
async function failWithRetryAfter(repo: RegistryRepository, res: HttpResponse, method: string): Promise<ArchfitError> {
  const error = await repo.fail(res, method, 'upload');
  const after = parseRetryAfter(header(res.headers, 'retry-after'), repo.host.transport.clock.now());
  if (after !== undefined) error.details['retryAfterMs'] = after;
  return error;
}

async function openSource(source: BlobSource, descriptor: Descriptor): Promise<Readable> {
  try {
    return await source();
  } catch (cause) {
    if (isArchfitError(cause)) throw cause;
    throw new ArchfitError(
      'IO_ERROR',
      `cannot open the source of blob ${descriptor.digest}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

class Progress extends Transform {
  private sent = 0;
  constructor(
    private readonly report: (bytes: number) => void,
    private readonly base = 0,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sent += chunk.length;
    this.report(this.base + this.sent);
    callback(null, chunk);
  }
}

/** The source as it must be sent: verified against the descriptor while it flows, with progress reports. */
async function verifiedSource(
  source: BlobSource,
  descriptor: Descriptor,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<Readable> {
  const input = await openSource(source, descriptor);
  const done = () => {
    // Errors surface through the last stream, which the request reads.
  };
  // A source that already checks this digest and size as it flows (a registry blob stream, a layout blob) is not
  // hashed a second time: hashing is the largest CPU cost of a copy. Its failure reaches the request all the same.
  const verifying = isVerifying(input, descriptor)
    ? undefined
    : new VerifyingStream({
        digest: descriptor.digest,
        size: descriptor.size,
        source: `the source of blob ${descriptor.digest}`,
      });
  // Each stage costs a little per chunk: progress is counted only when someone listens.
  const progress = onProgress ? new Progress(onProgress) : undefined;
  if (verifying && progress) return pipeline(input, verifying, progress, done);
  if (verifying ?? progress) return pipeline(input, (verifying ?? progress)!, done);
  return input;
}

function isVerifying(stream: Readable, descriptor: Descriptor): boolean {
  return (
    stream instanceof VerifyingStream &&
    stream.expected.digest === descriptor.digest &&
    stream.expected.size === descriptor.size &&
    stream.bytesReceived === 0
  );
}

async function putMonolithic(
  repo: RegistryRepository,
  session: Session,
  descriptor: Descriptor,
  body: Readable,
  options: UploadOptions,
): Promise<'done' | 'refused'> {
  let res: HttpResponse;
  try {
    res = await repo.host.request({
      method: 'PUT',
      url: withQuery(session.location, { digest: descriptor.digest }),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
      body,
      scopes: [repo.pushScope],
      kind: 'upload',
      signal: options.signal,
      retry: false,
    });
  } catch (error) {
    // The body's own failure (the source did not match its descriptor) explains more than the aborted request.
    if (isArchfitError(body.errored)) throw body.errored;
    throw error;
  } finally {
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
  if (isArchfitError(body.errored)) throw body.errored;
  if (MONOLITHIC_REFUSED.has(res.status)) {
    await dump(res);
    return 'refused';
  }
  if (res.status !== 201 && res.status !== 204) throw await failWithRetryAfter(repo, res, 'PUT');
  await dump(res);
  return 'done';
}

/** Cuts a stream into buffers of `size` bytes (the last one shorter). */
async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    let c = chunk as Buffer;
    while (c.length > 0) {
      const take = Math.min(size - length, c.length);
      parts.push(c.subarray(0, take));
      length += take;
      c = c.subarray(take);
      if (length === size) {
        yield Buffer.concat(parts, length);
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}

async function putChunked(
  repo: RegistryRepository,
  session: Session,
  descriptor: Descriptor,
  source: BlobSource,
  options: UploadOptions,
): Promise<void> {
  const transport = repo.host.transport;
  const chunkSize = Math.max(1, options.chunkSize, Math.min(session.minChunk ?? 0, 1024 * 1024 * 1024));
  const body = await verifiedSource(source, descriptor, undefined);
  let location = session.location;
  let offset = 0;
  try {
    for await (const chunk of chunksOf(body, chunkSize)) {
      if (options.signal?.aborted) throw abortedError('PATCH', location, options.signal.reason);
      const end = offset + chunk.length - 1;
      const res = await repo.host.request({
        method: 'PATCH',
        url: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${end}`,
          'content-length': String(chunk.length),
        },
        body: chunk,
        scopes: [repo.pushScope],
        kind: 'upload',
        signal: options.signal,
        retry: false,
      });
      if (res.status !== 202 && res.status !== 204) throw await failWithRetryAfter(repo, res, 'PATCH');
      await dump(res);
      const next = header(res.headers, 'location');
      // Each chunk goes to the latest Location (it may carry new state).
      if (next) location = resolveLocation(next, res.url, transport.urlPolicy);
      const range = parseUploadRange(res.headers['range']);
      if (range !== undefined && range.end !== end) {
        throw new ArchfitError(
          'REGISTRY_ERROR',
          `PATCH ${redactUrl(res.url)}: the registry has bytes up to ${range.end}, expected ${end}`,
        );
      }
      offset += chunk.length;
      options.onProgress?.(offset);
    }
  } catch (error) {
    if (isArchfitError(body.errored)) throw body.errored;
    throw error;
  } finally {
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
  const res = await repo.host.request({
    method: 'PUT',
    url: withQuery(location, { digest: descriptor.digest }),
    headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
    body: '',
    scopes: [repo.pushScope],
    kind: 'upload',
    signal: options.signal,
    retry: false,
  });
  if (res.status !== 201 && res.status !== 204) throw await failWithRetryAfter(repo, res, 'PUT');
  await dump(res);
}
