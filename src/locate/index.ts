// From an image location as users write it to a store and a reference inside it:
//   registry references ("ubuntu", "ghcr.io/o/r@sha256:…", "docker://…"), "oci:DIR[:TAG]", "docker-archive:FILE[:REF]".
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { isDigest } from '../digest/index.js';
import { ArchfitError, quote } from '../errors.js';
import type { ContentStore, Descriptor, FetchedManifest } from '../image/index.js';
import { isLocalLocation, openDockerArchive, openLayout, parseLocalLocation } from '../layout/index.js';
import { parseReference, type Reference } from '../reference/index.js';
import { RegistryClient, type RegistryClientOptions } from '../registry/index.js';

export interface ImageHandle {
  store: ContentStore;
  /** Tag or digest inside the store ("" for a local store's only image). */
  reference: string;
  /** How the image is named in output: "docker.io/library/ubuntu:22.04", "oci:out:v1". */
  display: string;
  kind: 'registry' | 'oci' | 'docker-archive';
  /** Registry images: the parsed reference. */
  parsed?: Reference;
  /** Was a tag or digest written in the location? (Copy uses the source's tag when the destination names none.) */
  explicitReference: boolean;
  /** Releases what opening took (file handles); registry handles share their client's connections. */
  close(): Promise<void>;
}

export interface OpenImageOptions {
  /** The registry client to use; one is made from `registry` when absent (and closed by `close()`). */
  client?: RegistryClient;
  registry?: RegistryClientOptions;
  /**
   * 'write': create an OCI layout directory when missing; refuse read-only locations. 'plan': the destination of a
   * dry run: a missing OCI layout directory reads as an empty one, and nothing is created.
   */
  purpose?: 'read' | 'write' | 'plan';
  signal?: AbortSignal;
}

const UNSUPPORTED = /^(oci-archive|dir|containers-storage|docker-daemon|ocidir):/;

export function isImageHandle(value: unknown): value is ImageHandle {
  return typeof value === 'object' && value !== null && 'store' in value && 'reference' in value;
}

export async function openImage(location: string, options: OpenImageOptions = {}): Promise<ImageHandle> {
  if (typeof location !== 'string' || location === '') {
    throw new ArchfitError('INVALID_REFERENCE', `invalid image location ${quote(location)}: empty`);
  }
  const write = options.purpose === 'write';
  if (isLocalLocation(location)) {
    const local = parseLocalLocation(location);
    const reference = local.reference ?? '';
    const explicitReference = local.reference !== undefined;
    if (local.kind === 'oci') {
      if (options.purpose === 'plan' && !existsSync(local.path)) {
        const store = new EmptyStore(`oci:${local.path}`);
        return { store, reference, display: location, kind: 'oci', explicitReference, close: async () => {} };
      }
      const store = await openLayout(local.path, {
        create: write,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { store, reference, display: location, kind: 'oci', explicitReference, close: () => store.close() };
    }
    if (write || options.purpose === 'plan') {
      throw new ArchfitError('INVALID_ARGUMENT', `${quote(location)}: docker-archive locations can only be read`);
    }
    const store = await openDockerArchive(local.path, options.signal ? { signal: options.signal } : {});
    return {
      store,
      reference,
      display: location,
      kind: 'docker-archive',
      explicitReference,
      close: () => store.close(),
    };
  }
  if (UNSUPPORTED.test(location)) {
    throw new ArchfitError(
      'INVALID_REFERENCE',
      `unsupported image location ${quote(location)}: use a registry reference, oci:DIR[:TAG] or docker-archive:FILE`,
    );
  }
  const text = location.startsWith('docker://') ? location.slice('docker://'.length) : location;
  const parsed = parseReference(text);
  const owned = options.client === undefined;
  const client = options.client ?? new RegistryClient(options.registry ?? {});
  const store = client.repositoryFor(parsed);
  const explicitReference = parsed.digest !== undefined || parsed.tag !== undefined;
  return {
    store,
    reference: parsed.digest ?? parsed.tag ?? 'latest',
    display: explicitReference ? parsed.toString() : `${parsed.toString()}:latest`,
    kind: 'registry',
    parsed,
    explicitReference,
    close: async () => {
      if (owned) await client.close();
    },
  };
}

/**
 * The tag a copy writes when the destination names none: the source's tag ("repo:1.2" → "1.2", "oci:dir:v1" → "v1",
 * "docker-archive:f.tar:app:1.0" → "1.0"), else "latest".
 */
export function destinationReference(source: ImageHandle, destination: ImageHandle): string {
  if (destination.explicitReference) return destination.reference;
  return sourceTag(source) ?? 'latest';
}

function sourceTag(handle: ImageHandle): string | undefined {
  if (handle.kind === 'registry') return handle.parsed?.tag;
  const ref = handle.reference;
  if (!handle.explicitReference || ref === '' || isDigest(ref) || ref.startsWith('@')) return undefined;
  if (handle.kind === 'oci') return ref;
  try {
    return parseReference(ref).tag;
  } catch {
    return undefined;
  }
}

/** A destination that holds nothing yet (a dry run into a layout that does not exist). */
class EmptyStore implements ContentStore {
  readonly writable = false;
  constructor(readonly description: string) {}
  private unknown(what: string): never {
    throw new ArchfitError(
      'MANIFEST_UNKNOWN',
      `${this.description}: ${quote(what)} is not there (the layout does not exist yet)`,
    );
  }
  async resolve(reference: string): Promise<Descriptor> {
    return this.unknown(reference);
  }
  async getManifest(reference: string): Promise<FetchedManifest> {
    return this.unknown(reference);
  }
  async hasManifest(): Promise<boolean> {
    return false;
  }
  async hasBlob(): Promise<boolean> {
    return false;
  }
  async openBlob(descriptor: Descriptor): Promise<Readable> {
    return this.unknown(descriptor.digest);
  }
  async putManifest(): Promise<Descriptor> {
    throw new ArchfitError('INVALID_ARGUMENT', `${this.description}: a dry run writes nothing`);
  }
  async pushBlob(): Promise<void> {
    throw new ArchfitError('INVALID_ARGUMENT', `${this.description}: a dry run writes nothing`);
  }
}
