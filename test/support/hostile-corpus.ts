// The hostile-input corpus of test/fixtures/hostile: its table (cases.json) and the generators the table names for
// inputs that are too big, too many or too dynamic to keep as files (a manifest over the cap, 10 000 entries, a
// chain of nested indexes, layers with odd tar headers, a foreign URL that points at a local server). Every case
// becomes a HostileImage: the bytes a scripted registry serves (or an OCI layout holds) for one repository.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { busybox, dir, exe, file, hardlink, symlink, tarHeader } from './deep-layers.js';
import { makeTar, type TarEntry } from './oci-layout.js';
import type { ScriptedObject } from './scripted-registry.js';

export const HOSTILE_DIR = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));

/** "ok" (exit 0) or the error code the command must stop with. */
export type Expectation = string;

export interface HostileCase {
  name: string;
  why: string;
  /** A file under test/fixtures/hostile served as the top manifest, with `contentType` (default: its mediaType). */
  file?: string;
  contentType?: string;
  /** Or a generator of this module. */
  generator?: string;
  /** Ask for the top manifest by the digest the case claims, not by tag. */
  byDigest?: boolean;
  /** Commands and what each must end with. */
  expect: {
    /** `archfit inspect <image> --json` */
    inspect?: Expectation;
    /** `archfit inspect --platform linux/amd64 <image> --json` */
    inspectPlatform?: Expectation;
    /** `archfit inspect --deep --platform linux/amd64 <image> --json`: a code, or `findings:<CODE,…>` (exit 0). */
    deep?: Expectation;
    /** `archfit copy <image> oci:<dir>:v1 --json` */
    copy?: Expectation;
    /** The same image in an OCI layout, read with the first of inspect / inspectPlatform / deep above. */
    layout?: Expectation;
  };
  /** Measure time and memory: the case is big on purpose. */
  big?: boolean;
  /** A known bug, described: the case runs as a node:test todo until it is fixed. */
  todo?: string;
}

export interface CoveredElsewhere {
  input: string;
  outcome: string;
  test: string;
}

export interface HostileTable {
  manifests: HostileCase[];
  layers: HostileCase[];
  coveredElsewhere: CoveredElsewhere[];
}

export function loadHostileTable(): HostileTable {
  return JSON.parse(readFileSync(join(HOSTILE_DIR, 'cases.json'), 'utf8')) as HostileTable;
}

export interface HostileObject extends ScriptedObject {
  /** The digest it is served under (its bytes need not hash to it). */
  digest: string;
  kind: 'manifest' | 'blob';
}

export interface HostileImage {
  /** Served for the tag, and under `digest` (default: the hash of the bytes). */
  top: ScriptedObject & { digest?: string; mediaType?: string };
  objects: HostileObject[];
  /** Every manifest asked for by digest gets these bytes. */
  anyDigest?: ScriptedObject;
  /** Only a server can misbehave like this: no layout variant. */
  serverOnly?: boolean;
}

export interface HostileContext {
  /** Base URL of a server that must never be contacted (foreign layers point there). */
  foreignUrl: string;
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_LAYER_NONDIST = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
const AMD64 = { os: 'linux', architecture: 'amd64' };

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const desc = (mediaType: string, bytes: Buffer, extra: Record<string, unknown> = {}) => ({
  mediaType,
  digest: sha256(bytes),
  size: bytes.length,
  ...extra,
});

interface ImageParts {
  manifest: Buffer;
  objects: HostileObject[];
}

interface LayerSpec {
  blob: Buffer;
  diffId: string;
  mediaType?: string;
  urls?: string[];
  /** Override the descriptor's size. */
  size?: number;
  /** Whether the registry has the blob (default true). */
  serve?: boolean;
}

interface ImageSpec {
  /** Layer blobs with their DiffIDs; default one small gzip layer. */
  layers?: LayerSpec[];
  config?: Buffer;
  /** Override the config descriptor's size. */
  configSize?: number;
  /** Serve the config with these options (endless …). */
  configServe?: Partial<ScriptedObject>;
  entrypoint?: string[];
  diffIds?: string[];
}

/** A linux/amd64 image: config, layers, manifest; the objects to serve. */
function image(spec: ImageSpec = {}): ImageParts {
  const layers: LayerSpec[] = spec.layers ?? [smallLayer()];
  const config =
    spec.config ??
    json({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: spec.entrypoint ?? ['/bin/sh'],
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      },
      rootfs: { type: 'layers', diff_ids: spec.diffIds ?? layers.map((l) => l.diffId) },
    });
  const manifest = json({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { ...desc(OCI_CONFIG, config), ...(spec.configSize !== undefined ? { size: spec.configSize } : {}) },
    layers: layers.map((l) => ({
      ...desc(l.mediaType ?? OCI_LAYER_GZIP, l.blob),
      ...(l.size !== undefined ? { size: l.size } : {}),
      ...(l.urls ? { urls: l.urls } : {}),
    })),
  });
  const objects: HostileObject[] = [
    { digest: sha256(config), bytes: config, kind: 'blob', contentType: OCI_CONFIG, ...(spec.configServe ?? {}) },
    ...layers
      .filter((l) => l.serve !== false)
      .map((l) => ({ digest: sha256(l.blob), bytes: l.blob, kind: 'blob' as const })),
  ];
  return { manifest, objects };
}

function smallLayer(): { blob: Buffer; diffId: string } {
  const tar = Buffer.alloc(1024); // two zero blocks: an empty tar
  return { blob: gzipSync(tar), diffId: sha256(tar) };
}

async function tarLayer(entries: TarEntry[] | Buffer): Promise<{ blob: Buffer; diffId: string }> {
  const tar = Buffer.isBuffer(entries) ? entries : await makeTar(entries);
  return { blob: gzipSync(tar), diffId: sha256(tar) };
}

const asImage = (parts: ImageParts): HostileImage => ({
  top: { bytes: parts.manifest, contentType: OCI_MANIFEST },
  objects: parts.objects,
});

/** An index listing `child` (as linux/amd64), with the child's own objects. */
function indexOf(
  child: { bytes: Buffer; mediaType: string; digest?: string; size?: number; servedAs?: string },
  objects: HostileObject[],
): HostileImage {
  const entry = {
    mediaType: child.mediaType,
    digest: child.digest ?? sha256(child.bytes),
    size: child.size ?? child.bytes.length,
    platform: AMD64,
  };
  return {
    top: { bytes: json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] }), contentType: OCI_INDEX },
    objects: [
      {
        digest: sha256(child.bytes),
        bytes: child.bytes,
        kind: 'manifest',
        contentType: child.servedAs ?? child.mediaType,
      },
      ...objects,
    ],
  };
}

const MiB = 1024 * 1024;
const base = (): TarEntry[] => [dir('bin'), exe('bin/busybox', busybox('amd64')), symlink('bin/sh', 'busybox')];

/** A tar header with a checksum recomputed after its size field was overwritten (base-256 sizes). */
function withSizeField(name: string, size: Buffer): Buffer {
  const h = tarHeader(name, 0);
  size.copy(h, 124, 0, 12);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export const GENERATORS: Record<string, (ctx: HostileContext) => HostileImage | Promise<HostileImage>> = {
  /** A valid image manifest padded with one annotation to one byte over 4 MiB. */
  oversizedManifest: () => {
    const parts = image();
    const doc = JSON.parse(parts.manifest.toString()) as Record<string, unknown>;
    const bare = json({ ...doc, annotations: { pad: '' } }).length;
    const bytes = json({ ...doc, annotations: { pad: 'x'.repeat(4 * MiB + 1 - bare) } });
    return { top: { bytes, contentType: OCI_MANIFEST }, objects: parts.objects };
  },
  /** The same, sent without Content-Length (chunked): the cap holds while reading. */
  oversizedManifestChunked: (ctx) => {
    const img = GENERATORS['oversizedManifest']!(ctx) as HostileImage;
    return { ...img, top: { ...img.top, chunked: true }, serverOnly: true };
  },
  /** A manifest body that never ends (64 MiB of spaces after the JSON, chunked). */
  endlessManifest: () => {
    const parts = image();
    return {
      top: { bytes: parts.manifest, contentType: OCI_MANIFEST, endless: 64 * MiB },
      objects: parts.objects,
      serverOnly: true,
    };
  },
  /** An index of 10 000 entries (about 1.6 MB, under the byte cap). */
  tenThousandEntries: () => {
    const parts = image();
    const entry = { ...desc(OCI_MANIFEST, parts.manifest), platform: AMD64 };
    const bytes = json({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: Array.from({ length: 10_000 }, () => entry),
    });
    return {
      top: { bytes, contentType: OCI_INDEX },
      objects: [{ digest: sha256(parts.manifest), bytes: parts.manifest, kind: 'manifest' }, ...parts.objects],
    };
  },
  /** An image manifest of 10 000 layers. */
  tenThousandLayers: () => {
    const layer = smallLayer();
    const parts = image({ layers: Array.from({ length: 10_000 }, () => layer) });
    return asImage(parts);
  },
  /** Asked for by digest; the registry answers with other bytes. */
  digestMismatchByDigest: () => {
    const parts = image();
    return {
      top: { bytes: parts.manifest, contentType: OCI_MANIFEST, digest: sha256('other bytes') },
      objects: parts.objects,
    };
  },
  /** Asked for by tag; Docker-Content-Digest names other bytes. */
  lyingDigestHeader: () => {
    const parts = image();
    return {
      top: { bytes: parts.manifest, contentType: OCI_MANIFEST, headers: { 'docker-content-digest': sha256('lie') } },
      objects: parts.objects,
      serverOnly: true,
    };
  },
  /** Docker-Content-Digest that is not a digest at all: the bytes are trusted, not the header. */
  garbageDigestHeader: () => {
    const parts = image();
    return {
      top: { bytes: parts.manifest, contentType: OCI_MANIFEST, headers: { 'docker-content-digest': 'md5:../x' } },
      objects: parts.objects,
      serverOnly: true,
    };
  },
  /**
   * An index whose entry is "itself": the server answers every digest with the index bytes, and the entry's size is
   * made to match them, so only the digest check can stop a client from going round forever.
   */
  indexListsItself: () => {
    const make = (size: number) =>
      json({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('self'), size, platform: AMD64 }],
      });
    let size = 0;
    let bytes = make(size);
    while (bytes.length !== size) {
      size = bytes.length;
      bytes = make(size);
    }
    return {
      top: { bytes, contentType: OCI_INDEX },
      objects: [],
      anyDigest: { bytes, contentType: OCI_INDEX },
      serverOnly: true,
    };
  },
  /** Ten indexes, each listing the next; an image at the bottom. */
  nestedTooDeep: () => {
    const parts = image();
    const objects: HostileObject[] = [...parts.objects];
    let child = { bytes: parts.manifest, mediaType: OCI_MANIFEST };
    for (let level = 0; level < 10; level++) {
      objects.push({ digest: sha256(child.bytes), bytes: child.bytes, kind: 'manifest', contentType: child.mediaType });
      const bytes = json({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ ...desc(child.mediaType, child.bytes), platform: AMD64 }],
      });
      child = { bytes, mediaType: OCI_INDEX };
    }
    return { top: { bytes: child.bytes, contentType: OCI_INDEX }, objects };
  },
  /** 4000 entries naming the same child: it is fetched once. */
  sameChildRepeated: () => {
    const parts = image();
    const entry = { ...desc(OCI_MANIFEST, parts.manifest), platform: AMD64 };
    return {
      top: {
        bytes: json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 4000 }, () => entry) }),
        contentType: OCI_INDEX,
      },
      objects: [
        { digest: sha256(parts.manifest), bytes: parts.manifest, kind: 'manifest', contentType: OCI_MANIFEST },
        ...parts.objects,
      ],
    };
  },
  /** The entry says "image manifest", the bytes are an index (served as what the entry says). */
  childIsAnIndex: () =>
    indexOf({ bytes: json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), mediaType: OCI_MANIFEST }, []),
  /** The same, but the registry serves the child honestly as an index: only the parent's entry lies. */
  childIsAnIndexServedAsIndex: () =>
    indexOf(
      {
        bytes: json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }),
        mediaType: OCI_MANIFEST,
        servedAs: OCI_INDEX,
      },
      [],
    ),
  /** The entry says the child has fewer bytes than it has. */
  childLongerThanDescriptor: () => {
    const parts = image();
    return indexOf({ bytes: parts.manifest, mediaType: OCI_MANIFEST, size: parts.manifest.length - 10 }, parts.objects);
  },
  /** The entry's digest is not the hash of the bytes served for it. */
  childDigestMismatch: () => {
    const parts = image();
    const img = indexOf(
      { bytes: parts.manifest, mediaType: OCI_MANIFEST, digest: sha256('not these bytes') },
      parts.objects,
    );
    img.objects[0]!.digest = sha256('not these bytes');
    return img;
  },
  /** A config whose descriptor says 5 MiB: refused before a byte is read. */
  configOverCap: () => asImage(image({ configSize: 5 * MiB })),
  /** A config that is not JSON. */
  configNotJson: () => asImage(image({ config: Buffer.from('{"architecture": "amd64", ') })),
  /** A config whose body does not end (the descriptor says a few hundred bytes). */
  configEndless: () => ({ ...asImage(image({ configServe: { endless: 64 * MiB } })), serverOnly: true }),
  /** A layer whose descriptor claims 2^52 bytes (a safe integer); the registry has a few hundred. */
  layerHugeSafeSize: () => {
    const l = smallLayer();
    return asImage(image({ layers: [{ ...l, size: 2 ** 52 }] }));
  },
  /** A non-distributable layer whose `urls` point at another (local) host: never fetched, never copied. */
  foreignLayer: (ctx) => {
    const l = smallLayer();
    return asImage(
      image({
        layers: [{ ...l, mediaType: OCI_LAYER_NONDIST, urls: [`${ctx.foreignUrl}/layer.tar.gz`], serve: false }],
      }),
    );
  },
  /** A distributable layer that also lists `urls`: fetched from the registry only. */
  distributableLayerWithUrls: (ctx) => {
    const l = smallLayer();
    return asImage(image({ layers: [{ ...l, urls: [`${ctx.foreignUrl}/layer.tar.gz`] }] }));
  },
  // --- layers, for the deep check through a registry ---------------------------------------------------------------
  /** A GNU long-name header (type L) of 5 MiB. */
  layerGnuLongName: async () => {
    const tar = Buffer.concat([
      tarHeader('././@LongLink', 5 * MiB, 0o644, 'L'),
      Buffer.alloc(5 * MiB + 512),
      Buffer.alloc(1024),
    ]);
    return asImage(image({ layers: [await tarLayer(tar)] }));
  },
  /** A tar entry whose size is base-256 and astronomically large. */
  layerBase256Size: async () => {
    const size = Buffer.alloc(12, 0xff);
    size[0] = 0x80;
    return asImage(
      image({ layers: [await tarLayer(Buffer.concat([withSizeField('big', size), Buffer.alloc(2048)]))] }),
    );
  },
  /** A tar entry whose base-256 size is negative, in front of a usable root. */
  layerNegativeSize: async () => {
    const size = Buffer.alloc(12, 0xff);
    return asImage(
      image({ layers: [await tarLayer(Buffer.concat([withSizeField('neg', size), Buffer.alloc(2048)]))] }),
    );
  },
  /** Fewer DiffIDs in the config than layers in the manifest. */
  layerDiffIdsShort: async () => {
    const a = await tarLayer(base());
    const b = await tarLayer([dir('data'), file('data/x', 'x')]);
    return asImage(image({ layers: [a, b], diffIds: [a.diffId] }));
  },
  /** The only layer, holding the entrypoint, with a wrong DiffID: read only as far as the entrypoint. */
  layerDiffIdWrongPartlyRead: async () => {
    const a = await tarLayer(base());
    return asImage(image({ layers: [a], diffIds: [sha256('something else')] }));
  },
  /** The entrypoint is a hard link to a directory. */
  layerHardlinkToDirectory: async () => {
    const a = await tarLayer([...base(), dir('app'), hardlink('app/run', 'bin')]);
    return asImage(image({ layers: [a], entrypoint: ['/app/run'] }));
  },
  /** The entrypoint is a hard link to itself. */
  layerHardlinkToItself: async () => {
    const a = await tarLayer([...base(), dir('app'), hardlink('app/run', 'app/run')]);
    return asImage(image({ layers: [a], entrypoint: ['/app/run'] }));
  },
  /** An upper layer replaces the directory /bin with a file. */
  layerDirectoryReplacedByFile: async () => {
    const a = await tarLayer(base());
    const b = await tarLayer([file('bin', 'not a directory')]);
    return asImage(image({ layers: [a, b] }));
  },
  /** An entrypoint that climbs above the root: clamped there, as the kernel does in a chroot. */
  layerEntrypointAboveRoot: async () => {
    const a = await tarLayer(base());
    return asImage(image({ layers: [a], entrypoint: ['/../../../../bin/sh'] }));
  },
};

/** The image of a case: its file served as the top manifest, or what its generator makes. */
export async function buildCase(c: HostileCase, ctx: HostileContext): Promise<HostileImage> {
  if (c.file !== undefined) {
    const bytes = readFileSync(join(HOSTILE_DIR, c.file));
    return { top: { bytes, ...(c.contentType ? { contentType: c.contentType } : {}) }, objects: [] };
  }
  const make = c.generator === undefined ? undefined : GENERATORS[c.generator];
  if (!make) throw new Error(`test harness: hostile case ${c.name} names no file and no known generator`);
  return await make(ctx);
}

/** The digest the top manifest is served (and asked) under. */
export const topDigest = (img: HostileImage): string => img.top.digest ?? sha256(img.top.bytes);

/** The media type of the top manifest: as served, else the body's, else OCI manifest. */
export function topMediaType(img: HostileImage): string {
  if (img.top.contentType) return img.top.contentType;
  try {
    const mt = (JSON.parse(img.top.bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof mt === 'string') return mt;
  } catch {}
  return OCI_MANIFEST;
}

/** Writes the image as an OCI layout (blobs stored under the digests the case claims), tagged `hostile`. */
export function writeHostileLayout(dirPath: string, img: HostileImage): void {
  mkdirSync(join(dirPath, 'blobs', 'sha256'), { recursive: true });
  const put = (digest: string, bytes: Buffer) =>
    writeFileSync(join(dirPath, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  for (const o of img.objects) put(o.digest, o.bytes);
  put(topDigest(img), img.top.bytes);
  writeFileSync(join(dirPath, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dirPath, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: topMediaType(img),
          digest: topDigest(img),
          size: img.top.bytes.length,
          annotations: { 'org.opencontainers.image.ref.name': 'hostile' },
        },
      ],
    }),
  );
}
