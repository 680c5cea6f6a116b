// File helpers shared by the layout directory and the docker archive: errors mapped to stable codes, reads with a
// cap, verified byte-range streams, and writes that appear under their final name only when complete (temp file in
// the same directory, then rename).
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { type Digest, VerifyingStream } from '../digest/index.js';
import { ArchfitError, type ErrorCode, isArchfitError, throwIfAborted } from '../errors.js';

export { throwIfAborted };

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR');
}

export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns whatever a file operation threw into an ArchfitError: ArchfitErrors pass through, aborts become ABORTED,
 * a missing file becomes `missing` (NOT_FOUND unless the caller knows better), anything else IO_ERROR.
 */
export function fileError(error: unknown, what: string, missing: ErrorCode = 'NOT_FOUND'): ArchfitError {
  if (isArchfitError(error)) return error;
  if (isAbortError(error)) return new ArchfitError('ABORTED', `${what}: aborted`, { cause: error });
  const code = errnoCode(error);
  if (code === 'ENOENT') return new ArchfitError(missing, `${what}: no such file or directory`, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new ArchfitError('IO_ERROR', `${what}: ${detail}`, { cause: error, details: { errno: code } });
}

/** Reads `length` bytes at `position` of an open file, refusing more than `max` bytes (SIZE_LIMIT) unread. */
export async function readRange(
  handle: FileHandle,
  position: number,
  length: number,
  what: string,
  max: number,
): Promise<Buffer> {
  if (length > max) {
    throw new ArchfitError('SIZE_LIMIT', `${what} is ${length} bytes, over the ${max}-byte limit`, {
      details: { size: length, limit: max },
    });
  }
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new ArchfitError('IO_ERROR', `${what}: file ended after ${done} of ${length} bytes`);
    done += bytesRead;
  }
  return buffer;
}

/** A whole small file, refused (SIZE_LIMIT) when it is larger than `max`. */
export async function readFileCapped(
  path: string,
  max: number,
  what: string,
  signal?: AbortSignal,
  missing: ErrorCode = 'NOT_FOUND',
): Promise<Buffer> {
  throwIfAborted(signal, what);
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ArchfitError('IO_ERROR', `${what}: not a regular file`);
    // Read one byte past the cap so a file that grew since stat is still caught.
    const buffer = Buffer.alloc(Math.min(stat.size, max) + 1);
    let done = 0;
    for (;;) {
      throwIfAborted(signal, what);
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
      if (done === buffer.length) break;
    }
    if (done > max) {
      throw new ArchfitError('SIZE_LIMIT', `${what} is over the ${max}-byte limit`, { details: { limit: max } });
    }
    return buffer.subarray(0, done);
  } catch (error) {
    throw fileError(error, what, missing);
  } finally {
    await handle?.close().catch(() => {});
  }
}

export interface RangeStreamOptions {
  /** First byte. */
  start?: number;
  /** Number of bytes; with `start`, the range read. Without, the rest of the file. */
  length?: number;
  signal?: AbortSignal | undefined;
  /** For messages. */
  what: string;
  /** What a missing file means (BLOB_UNKNOWN for a layout blob, NOT_FOUND for an archive). */
  missing?: ErrorCode;
}

/**
 * A file (or a byte range of it) streamed through a VerifyingStream: the returned stream fails with DIGEST_MISMATCH
 * or SIZE_MISMATCH at EOF unless the bytes are right. File errors arrive on it as ArchfitErrors; destroying it closes
 * the file.
 */
export function verifiedFileStream(
  path: string,
  expected: { digest: Digest; size: number },
  options: RangeStreamOptions,
): VerifyingStream {
  const verifier = new VerifyingStream({ digest: expected.digest, size: expected.size, source: options.what });
  const start = options.start ?? 0;
  const length = options.length;
  let file: Readable;
  if (length === 0) {
    file = new PassThrough();
    (file as PassThrough).end();
  } else {
    file = createReadStream(path, {
      start,
      ...(length === undefined ? {} : { end: start + length - 1 }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  file.on('error', (error) => verifier.destroy(fileError(error, options.what, options.missing ?? 'NOT_FOUND')));
  verifier.on('close', () => file.destroy());
  file.pipe(verifier);
  return verifier;
}

/** A name in `dir` that no other writer picks: the final name, a random part, a suffix no digest has. */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${randomUUID()}.tmp`);
}

/** Writes bytes under `finalPath` atomically: a temp file in the same directory, optionally fsynced, then rename. */
export async function writeFileAtomic(
  finalPath: string,
  bytes: Uint8Array,
  options: { fsync?: boolean; signal?: AbortSignal | undefined; what: string },
): Promise<void> {
  throwIfAborted(options.signal, options.what);
  const temp = tempPathFor(finalPath);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o644);
    await handle.writeFile(bytes);
    if (options.fsync) await handle.sync();
    await handle.close();
    handle = undefined;
    throwIfAborted(options.signal, options.what);
    await rename(temp, finalPath);
    if (options.fsync) await syncDirectory(dirname(finalPath));
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw fileError(error, options.what, 'IO_ERROR');
  }
}

/** fsync a directory so a rename in it survives a power cut (best effort: some file systems refuse). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // not every platform can fsync a directory; the rename is still atomic
  } finally {
    await handle?.close().catch(() => {});
  }
}
