// Validation of untrusted manifest and config JSON. Loose where the spec is open (unknown fields pass through),
// strict on every field archfit reads, and strict on ambiguity: a document that could be read as both an index
// and an image, or whose keys differ from the spec's only by case (which Go decoders would accept), is refused.
import { type Digest, isDigest } from '../digest/index.js';
import { ArchfitError, quote } from '../errors.js';
import { isImageManifestMediaType, isIndexMediaType, isManifestMediaType, MediaType } from './media-types.js';
import type {
  Descriptor,
  DescriptorPlatform,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  ParsedManifest,
} from './types.js';

/** Distribution's limit on manifests; configs share it. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** An index lists platforms; a few thousand entries is already far beyond any real image. */
export const MAX_INDEX_ENTRIES = 4096;
/** Layers per image: overlay stops near 128; a manifest listing more than this is refused. */
export const MAX_LAYERS = 4096;

type Json = Record<string, unknown>;

function invalid(source: string | undefined, message: string): ArchfitError {
  return new ArchfitError('MANIFEST_INVALID', `${source ? `${source}: ` : ''}${message}`);
}

function parseJsonObject(bytes: Uint8Array, source: string | undefined, what: string, limit: number): Json {
  if (bytes.byteLength > limit) {
    throw new ArchfitError(
      'SIZE_LIMIT',
      `${source ? `${source}: ` : ''}${what} is ${bytes.byteLength} bytes, over the ${limit}-byte limit`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ArchfitError('MANIFEST_INVALID', `${source ? `${source}: ` : ''}${what} is not valid JSON`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(source, `${what} is not a JSON object`);
  }
  return value as Json;
}

const MANIFEST_KEYS = [
  'schemaVersion',
  'mediaType',
  'manifests',
  'config',
  'layers',
  'subject',
  'annotations',
  'artifactType',
];

function rejectCaseVariants(doc: Json, known: string[], source: string | undefined): void {
  const lower = new Map(known.map((k) => [k.toLowerCase(), k]));
  for (const key of Object.keys(doc)) {
    const canonical = lower.get(key.toLowerCase());
    if (canonical !== undefined && canonical !== key) {
      throw invalid(source, `ambiguous document: key ${quote(key)} differs from ${quote(canonical)} only by case`);
    }
  }
}

function isSafeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function stringRecord(value: unknown, field: string, source: string | undefined): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(source, `${field} must be an object of strings`);
  for (const [k, v] of Object.entries(value as Json)) {
    if (typeof v !== 'string') throw invalid(source, `${field}[${quote(k)}] must be a string`);
  }
  return value as Record<string, string>;
}

function stringArray(value: unknown, field: string, source: string | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(source, `${field} must be an array of strings`);
  }
  return value as string[];
}

function parsePlatformField(value: unknown, field: string, source: string | undefined): DescriptorPlatform | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(source, `${field} must be an object`);
  const p = value as Json;
  if (typeof p.os !== 'string' || typeof p.architecture !== 'string') {
    throw invalid(source, `${field} needs string fields "os" and "architecture"`);
  }
  if (p.variant !== undefined && typeof p.variant !== 'string')
    throw invalid(source, `${field}.variant must be a string`);
  if (p['os.version'] !== undefined && typeof p['os.version'] !== 'string') {
    throw invalid(source, `${field}["os.version"] must be a string`);
  }
  stringArray(p['os.features'], `${field}["os.features"]`, source);
  return p as unknown as DescriptorPlatform;
}

/** Validates one descriptor of an untrusted document. */
export function parseDescriptor(value: unknown, field: string, source?: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(source, `${field} must be an object`);
  const d = value as Json;
  if (typeof d.mediaType !== 'string' || d.mediaType === '')
    throw invalid(source, `${field}.mediaType must be a non-empty string`);
  if (!isDigest(d.digest)) throw invalid(source, `${field}.digest ${quote(d.digest)} is not a valid digest`);
  if (!isSafeSize(d.size)) throw invalid(source, `${field}.size ${quote(d.size)} is not a non-negative safe integer`);
  stringArray(d.urls, `${field}.urls`, source);
  stringRecord(d.annotations, `${field}.annotations`, source);
  parsePlatformField(d.platform, `${field}.platform`, source);
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string')
    throw invalid(source, `${field}.artifactType must be a string`);
  if (d.data !== undefined && typeof d.data !== 'string') throw invalid(source, `${field}.data must be a string`);
  return d as unknown as Descriptor;
}

export interface ParseManifestOptions {
  /** The Content-Type the server sent (or the media type of the descriptor that pointed here). */
  contentType?: string | undefined;
  /** Where the bytes came from, for messages. */
  source?: string | undefined;
  maxBytes?: number;
}

/** Parses and validates a manifest or index; the media type comes from the body, else the header, else the shape. */
export function parseManifest(bytes: Uint8Array, options: ParseManifestOptions = {}): ParsedManifest {
  const source = options.source;
  const doc = parseJsonObject(bytes, source, 'manifest', options.maxBytes ?? MAX_MANIFEST_BYTES);
  rejectCaseVariants(doc, MANIFEST_KEYS, source);
  const header = normaliseContentType(options.contentType);
  const bodyType = doc.mediaType;
  if (bodyType !== undefined && typeof bodyType !== 'string') throw invalid(source, 'mediaType must be a string');
  if (
    bodyType === MediaType.DockerManifestSchema1 ||
    bodyType === MediaType.DockerManifestSchema1Signed ||
    doc.schemaVersion === 1
  ) {
    throw new ArchfitError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${source ? `${source}: ` : ''}Docker schema 1 manifests are not supported (deprecated since 2017; re-push the image with a current tool)`,
    );
  }
  if (doc.schemaVersion !== 2) throw invalid(source, `schemaVersion ${quote(doc.schemaVersion)} is not 2`);
  if (bodyType !== undefined && isManifestMediaType(header) && isManifestMediaType(bodyType) && header !== bodyType) {
    throw invalid(
      source,
      `the body says mediaType ${quote(bodyType)} but the server sent Content-Type ${quote(header)}`,
    );
  }
  const hasManifests = doc.manifests !== undefined;
  const hasImageFields = doc.config !== undefined || doc.layers !== undefined;
  if (hasManifests && hasImageFields) {
    throw invalid(source, 'ambiguous document: it has "manifests" and also "config" or "layers"');
  }
  let mediaType: string | undefined = bodyType ?? (isManifestMediaType(header) ? header : undefined);
  if (mediaType === undefined)
    mediaType = hasManifests ? MediaType.OciIndex : hasImageFields ? MediaType.OciManifest : undefined;
  if (mediaType === undefined) throw invalid(source, 'not a manifest: no "manifests", "config" or "layers"');

  const subject =
    doc.subject === undefined || doc.subject === null ? undefined : parseDescriptor(doc.subject, 'subject', source);
  void subject;
  stringRecord(doc.annotations, 'annotations', source);

  if (isIndexMediaType(mediaType)) {
    if (hasImageFields) throw invalid(source, `a ${mediaType} must not have "config" or "layers"`);
    if (!Array.isArray(doc.manifests)) throw invalid(source, 'manifests must be an array');
    if (doc.manifests.length > MAX_INDEX_ENTRIES) {
      throw new ArchfitError(
        'SIZE_LIMIT',
        `${source ? `${source}: ` : ''}index lists ${doc.manifests.length} manifests, over the limit of ${MAX_INDEX_ENTRIES}`,
      );
    }
    doc.manifests.forEach((m, i) => {
      parseDescriptor(m, `manifests[${i}]`, source);
    });
    return { kind: 'index', mediaType, index: doc as unknown as ImageIndex };
  }
  if (isImageManifestMediaType(mediaType)) {
    if (hasManifests) throw invalid(source, `a ${mediaType} must not have "manifests"`);
    parseDescriptor(doc.config, 'config', source);
    if (!Array.isArray(doc.layers)) throw invalid(source, 'layers must be an array');
    if (doc.layers.length > MAX_LAYERS) {
      throw new ArchfitError(
        'SIZE_LIMIT',
        `${source ? `${source}: ` : ''}manifest lists ${doc.layers.length} layers, over the limit of ${MAX_LAYERS}`,
      );
    }
    doc.layers.forEach((l, i) => {
      parseDescriptor(l, `layers[${i}]`, source);
    });
    return { kind: 'image', mediaType, manifest: doc as unknown as ImageManifest };
  }
  throw new ArchfitError(
    'UNSUPPORTED_MEDIA_TYPE',
    `${source ? `${source}: ` : ''}unsupported manifest media type ${quote(mediaType)}`,
  );
}

function normaliseContentType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() || undefined;
}

const CONFIG_KEYS = ['architecture', 'os', 'variant', 'config', 'rootfs', 'history', 'created', 'author'];

/** Parses and validates an image config (OCI or Docker). */
export function parseConfig(bytes: Uint8Array, options: { source?: string; maxBytes?: number } = {}): ImageConfig {
  const source = options.source;
  const doc = parseJsonObject(bytes, source, 'config', options.maxBytes ?? MAX_MANIFEST_BYTES);
  rejectCaseVariants(doc, CONFIG_KEYS, source);
  if (typeof doc.architecture !== 'string') throw invalid(source, 'config.architecture must be a string');
  if (typeof doc.os !== 'string') throw invalid(source, 'config.os must be a string');
  if (doc.variant !== undefined && typeof doc.variant !== 'string')
    throw invalid(source, 'config.variant must be a string');
  if (doc.created !== undefined && typeof doc.created !== 'string')
    throw invalid(source, 'config.created must be a string');
  const rootfs = doc.rootfs as Json | undefined;
  if (rootfs !== undefined) {
    if (typeof rootfs !== 'object' || rootfs === null) throw invalid(source, 'config.rootfs must be an object');
    const ids = rootfs.diff_ids;
    if (ids !== undefined && ids !== null && (!Array.isArray(ids) || ids.some((d) => !isDigest(d)))) {
      throw invalid(source, 'config.rootfs.diff_ids must be an array of digests');
    }
  }
  const runtime = doc.config as Json | undefined | null;
  if (runtime !== undefined && runtime !== null) {
    if (typeof runtime !== 'object' || Array.isArray(runtime)) throw invalid(source, 'config.config must be an object');
    for (const field of ['Entrypoint', 'Cmd', 'Env']) stringArray(runtime[field], `config.config.${field}`, source);
    for (const field of ['User', 'WorkingDir']) {
      if (runtime[field] !== undefined && runtime[field] !== null && typeof runtime[field] !== 'string') {
        throw invalid(source, `config.config.${field} must be a string`);
      }
    }
  }
  const config = doc as unknown as ImageConfig;
  if (config.rootfs === undefined)
    (config as { rootfs: ImageConfig['rootfs'] }).rootfs = { type: 'layers', diff_ids: [] };
  if (!Array.isArray(config.rootfs.diff_ids)) config.rootfs.diff_ids = [] as Digest[];
  return config;
}
