// Digests: "algorithm:hex", validated with an anchored grammar before they reach a URL or a path, computed over raw
// bytes as they stream, and verified (with the size) when a stream ends.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ArchfitError, quote } from '../errors.js';

export type Digest = `${string}:${string}`;
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** True when `value` is a digest with a supported algorithm and the right number of lowercase hex digits. */
export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false;
  const colon = value.indexOf(':');
  if (colon === -1) return false;
  const algorithm = value.slice(0, colon) as DigestAlgorithm;
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) return false;
  const hex = value.slice(colon + 1);
  return hex.length === length && /^[0-9a-f]+$/.test(hex);
}

/** Returns `value` as a Digest or throws INVALID_DIGEST quoting it. */
export function parseDigest(value: unknown): Digest {
  if (isDigest(value)) return value;
  throw new ArchfitError(
    'INVALID_DIGEST',
    `invalid digest ${quote(value)}: expected sha256:<64 hex>, sha384:<96 hex> or sha512:<128 hex>`,
  );
}

export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** "sha256:0123456789ab" — what tables show. */
export function shortDigest(digest: string, length = 12): string {
  const colon = digest.indexOf(':');
  return colon === -1
    ? digest.slice(0, length)
    : `${digest.slice(0, colon)}:${digest.slice(colon + 1, colon + 1 + length)}`;
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function newHasher(algorithm: DigestAlgorithm = 'sha256'): Hash {
  return createHash(algorithm);
}

export interface VerifyOptions {
  /** The digest the bytes must hash to. */
  digest: Digest;
  /** The exact byte count, when known. More bytes than this fail as soon as they arrive. */
  size?: number;
  /** Where the bytes come from, for messages (a URL without credentials, a path). */
  source?: string;
}

/**
 * A pass-through stream that hashes what flows through it and fails at EOF when the digest or size is not the one
 * expected; bytes beyond the expected size fail at once, so a lying server cannot feed an endless body.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private received = 0;
  readonly expected: VerifyOptions;

  constructor(expected: VerifyOptions) {
    super();
    this.expected = expected;
    this.hash = createHash(digestAlgorithm(expected.digest));
  }

  get bytesReceived(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.expected.size !== undefined && this.received > this.expected.size) {
      callback(sizeError(this.expected, this.received, true));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected.size !== undefined && this.received !== this.expected.size) {
      callback(sizeError(this.expected, this.received, false));
      return;
    }
    const actual: Digest = `${digestAlgorithm(this.expected.digest)}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      callback(
        new ArchfitError(
          'DIGEST_MISMATCH',
          `content${this.expected.source ? ` from ${this.expected.source}` : ''} hashes to ${actual}, expected ${this.expected.digest}`,
          { details: { expected: this.expected.digest, actual } },
        ),
      );
      return;
    }
    callback();
  }
}

function sizeError(expected: VerifyOptions, received: number, over: boolean): ArchfitError {
  const where = expected.source ? ` from ${expected.source}` : '';
  return new ArchfitError(
    'SIZE_MISMATCH',
    over
      ? `content${where} for ${expected.digest} is longer than the expected ${expected.size} bytes`
      : `content${where} for ${expected.digest} ended after ${received} bytes, expected ${expected.size}`,
    { details: { expected: expected.size, received, digest: expected.digest } },
  );
}

/** Checks bytes already in memory (manifests, configs) against a digest; throws DIGEST_MISMATCH. */
export function verifyBytes(bytes: Uint8Array, digest: Digest, source?: string): void {
  const actual = digestOf(bytes, digestAlgorithm(digest));
  if (actual !== digest) {
    throw new ArchfitError(
      'DIGEST_MISMATCH',
      `content${source ? ` from ${source}` : ''} hashes to ${actual}, expected ${digest}`,
      { details: { expected: digest, actual } },
    );
  }
}
