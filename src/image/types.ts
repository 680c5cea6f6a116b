// The OCI image spec's documents (and the Docker formats that share their shape), as plain data.
import type { Digest } from '../digest/index.js';
import { isImageManifestMediaType } from './media-types.js';

export type Annotations = Record<string, string>;

/** A platform as it appears in an index entry (the JSON field names of the spec). */
export interface DescriptorPlatform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Annotations;
  platform?: DescriptorPlatform;
  artifactType?: string;
  data?: string;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Annotations;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Annotations;
}

export interface ImageConfigRuntime {
  User?: string;
  ExposedPorts?: Record<string, unknown>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, unknown>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  created?: string;
  author?: string;
  config?: ImageConfigRuntime;
  rootfs: { type: string; diff_ids: Digest[] };
  history?: Array<Record<string, unknown>>;
}

/** A manifest document after validation: which of the two shapes it is, with the parsed JSON. */
export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'image'; mediaType: string; manifest: ImageManifest };

/** A manifest as fetched: the raw bytes (the truth: the digest is their hash), the descriptor and the parse. */
export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
  parsed: ParsedManifest;
}

/** Annotation keys buildx puts on attestation entries of an index. */
export const ATTESTATION_TYPE_ANNOTATION = 'vnd.docker.reference.type';
export const ATTESTATION_DIGEST_ANNOTATION = 'vnd.docker.reference.digest';
export const ATTESTATION_MANIFEST = 'attestation-manifest';

/** The buildx attestation convention: an `unknown/unknown` entry annotated as an attestation of another entry. */
export function isAttestation(descriptor: Descriptor): boolean {
  return descriptor.annotations?.[ATTESTATION_TYPE_ANNOTATION] === ATTESTATION_MANIFEST;
}

/** The digest of the image an attestation entry attests, when it says. */
export function attestedDigest(descriptor: Descriptor): string | undefined {
  return isAttestation(descriptor) ? descriptor.annotations?.[ATTESTATION_DIGEST_ANNOTATION] : undefined;
}

/**
 * An index entry a host could pull and run: an image manifest with a platform that is not buildx's
 * `unknown/unknown`, and not an attestation.
 */
export function isRunnable(descriptor: Descriptor): boolean {
  const p = descriptor.platform;
  return (
    p !== undefined &&
    isImageManifestMediaType(descriptor.mediaType) &&
    !isAttestation(descriptor) &&
    !(p.os === 'unknown' && p.architecture === 'unknown')
  );
}
