// The one interface every source and sink of images implements: a registry repository, an OCI image layout
// directory, a docker-save archive. Commands (inspect, copy, check) see only this.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/index.js';
import type { Descriptor, FetchedManifest } from './types.js';

export interface StoreCallOptions {
  signal?: AbortSignal;
}

export interface GetManifestOptions extends StoreCallOptions {
  /**
   * The descriptor that pointed here (an index entry), when known: its digest and size are enforced, and its media
   * type is used when the server sends none.
   */
  expected?: Descriptor;
}

export interface PutManifestOptions extends StoreCallOptions {
  /** Also point this tag at the manifest (written after the manifest itself). */
  tag?: string;
}

export interface PushBlobOptions extends StoreCallOptions {
  /** Called with the number of bytes sent so far. */
  onProgress?: (bytes: number) => void;
}

/** Reopens the source of a blob; called again when an upload is retried. */
export type BlobSource = () => Promise<Readable>;

export interface ContentStore {
  /** Where this is, for messages: "127.0.0.1:5000/app", "oci:./layout", "docker-archive:img.tar". */
  readonly description: string;
  /** Can this store be written to? (docker archives are read-only.) */
  readonly writable: boolean;

  /** The descriptor a tag or digest points at, without fetching the manifest body where the store can (HEAD). */
  resolve(reference: string, options?: StoreCallOptions): Promise<Descriptor>;
  /** A manifest by tag or digest: raw bytes verified against the digest, parsed and validated. */
  getManifest(reference: string, options?: GetManifestOptions): Promise<FetchedManifest>;
  /** Does the store hold this manifest (by digest)? */
  hasManifest(descriptor: Descriptor, options?: StoreCallOptions): Promise<boolean>;
  /** Stores manifest bytes exactly as given; the digest is their hash. */
  putManifest(bytes: Uint8Array, mediaType: string, options?: PutManifestOptions): Promise<Descriptor>;

  hasBlob(descriptor: Descriptor, options?: StoreCallOptions): Promise<boolean>;
  /** A stream of the blob that fails (DIGEST_MISMATCH / SIZE_MISMATCH) at EOF unless digest and size are right. */
  openBlob(descriptor: Descriptor, options?: StoreCallOptions): Promise<Readable>;
  /** Uploads a blob from a source that can be reopened for a retry; verifies digest and size on the way. */
  pushBlob(descriptor: Descriptor, source: BlobSource, options?: PushBlobOptions): Promise<void>;

  /** Can blobs of `other` be mounted here without transferring them (same registry, another repository)? */
  canMount?(other: ContentStore): boolean;
  /** Mounts a blob from `other`; false when the store refused (the caller then uploads). */
  mountBlob?(descriptor: Descriptor, other: ContentStore, options?: StoreCallOptions): Promise<boolean>;

  /** Tags, when the store can list them. */
  listTags?(options?: StoreCallOptions): Promise<string[]>;
  /** Releases connections and file handles. */
  close?(): Promise<void>;
}

/** A tag or a digest as given after the name in a reference. */
export type ManifestReference = string | Digest;
