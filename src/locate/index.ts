// From an image location as users write it to a store and a reference inside it:
//   registry references ("ubuntu", "ghcr.io/o/r@sha256:…", "docker://…"), "oci:DIR[:TAG]", "docker-archive:FILE[:REF]".
import { ArchfitError, quote } from '../errors.js';
import type { ContentStore } from '../image/index.js';
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
  /** 'write': create an OCI layout directory when missing; refuse read-only locations. */
  purpose?: 'read' | 'write';
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
      const store = await openLayout(local.path, {
        create: write,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { store, reference, display: location, kind: 'oci', explicitReference, close: () => store.close() };
    }
    if (write) {
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
