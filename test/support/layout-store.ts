// A tiny read-only ContentStore over an OCI image layout directory, for tests that need a store independent of
// src/layout: `index.json` tags, `blobs/<alg>/<hex>` streamed through the library's VerifyingStream. It also counts
// what it serves (blobs opened, bytes read from disk), so a test can check a reader's own accounting against it.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { parseDigest, VerifyingStream, verifyBytes } from '../../src/digest/index.js';
import { ArchfitError } from '../../src/errors.js';
import {
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  parseManifest,
  type StoreCallOptions,
} from '../../src/image/index.js';

interface IndexJson {
  manifests: (Descriptor & { annotations?: Record<string, string> })[];
}

export interface StoreStats {
  /** openBlob calls per digest. */
  opened: Map<string, number>;
  /** Bytes read from disk per digest (what the caller pulled, plus what the file stream read ahead). */
  bytes: Map<string, number>;
}

export class TestLayoutStore implements ContentStore {
  readonly description: string;
  readonly writable = false;
  readonly stats: StoreStats = { opened: new Map(), bytes: new Map() };

  constructor(readonly dir: string) {
    this.description = `oci:${dir}`;
  }

  blobPath(digest: string): string {
    const d = parseDigest(digest);
    return join(this.dir, 'blobs', ...d.split(':'));
  }

  private index(): IndexJson {
    return JSON.parse(readFileSync(join(this.dir, 'index.json'), 'utf8')) as IndexJson;
  }

  async resolve(reference: string): Promise<Descriptor> {
    const entries = this.index().manifests;
    const found = reference.includes(':')
      ? entries.find((m) => m.digest === reference)
      : entries.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === reference);
    if (!found) throw new ArchfitError('MANIFEST_UNKNOWN', `${this.description}: no manifest ${reference}`);
    return found;
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const descriptor = reference.startsWith('sha256:')
      ? { mediaType: '', digest: parseDigest(reference), size: 0 }
      : await this.resolve(reference);
    const bytes = readFileSync(this.blobPath(descriptor.digest));
    verifyBytes(bytes, descriptor.digest);
    const parsed = parseManifest(bytes, { source: this.description });
    return { descriptor: { ...descriptor, mediaType: parsed.mediaType, size: bytes.length }, bytes, parsed };
  }

  async hasManifest(descriptor: Descriptor): Promise<boolean> {
    return existsSync(this.blobPath(descriptor.digest));
  }

  async putManifest(): Promise<Descriptor> {
    throw new ArchfitError('INTERNAL', 'test layout store is read-only');
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return existsSync(this.blobPath(descriptor.digest));
  }

  async openBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<Readable> {
    const path = this.blobPath(descriptor.digest);
    if (!existsSync(path)) throw new ArchfitError('BLOB_UNKNOWN', `${this.description}: no blob ${descriptor.digest}`);
    const digest = descriptor.digest;
    this.stats.opened.set(digest, (this.stats.opened.get(digest) ?? 0) + 1);
    const stats = this.stats;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        stats.bytes.set(digest, (stats.bytes.get(digest) ?? 0) + chunk.length);
        callback(null, chunk);
      },
    });
    const verify = new VerifyingStream({ digest, size: descriptor.size, source: path });
    const file = createReadStream(path, options.signal ? { signal: options.signal } : {});
    return pipeline(file, counter, verify, () => undefined);
  }

  async pushBlob(): Promise<void> {
    throw new ArchfitError('INTERNAL', 'test layout store is read-only');
  }

  /** Total bytes read from disk for these digests (all when none are given). */
  bytesRead(digests?: readonly string[]): number {
    let total = 0;
    for (const [d, n] of this.stats.bytes) if (!digests || digests.includes(d)) total += n;
    return total;
  }
}
