// Small images built in memory for the layout and docker-archive tests: configs, gzip or plain layers made with
// tar-stream, OCI manifests and indexes; docker-save archives in the legacy and the OCI (docker 25+) forms.
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Descriptor } from '../../src/image/index.js';
import type { ContentStore } from '../../src/image/store.js';
import { compress, makeTar, sha256Digest, type TarEntry } from './oci-layout.js';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface Layer extends Blob {
  /** The uncompressed tar. */
  tar: Buffer;
  diffId: string;
}

export interface BuiltImage {
  platform: { os: string; architecture: string; variant?: string };
  config: Blob;
  layers: Layer[];
  manifest: Blob;
}

function blob(mediaType: string, bytes: Buffer): Blob {
  return { descriptor: { mediaType, digest: sha256Digest(bytes) as Descriptor['digest'], size: bytes.length }, bytes };
}

/** An image of `layerCount` layers, each holding one small text file naming the architecture and the layer. */
export async function buildImage(
  architecture: string,
  options: { layers?: number; gzip?: boolean; variant?: string } = {},
): Promise<BuiltImage> {
  const layers: Layer[] = [];
  for (let i = 0; i < (options.layers ?? 2); i++) {
    const tar = await makeTar([
      { type: 'dir', path: 'etc' },
      { type: 'file', path: `etc/layer-${i}.txt`, content: `${architecture} layer ${i}\n` },
    ]);
    const gzip = options.gzip ?? true;
    const bytes = gzip ? compress(tar, 'gzip') : tar;
    layers.push({ ...blob(gzip ? OCI_LAYER_GZIP : OCI_LAYER, bytes), tar, diffId: sha256Digest(tar) });
  }
  const platform = { os: 'linux', architecture, ...(options.variant ? { variant: options.variant } : {}) };
  const config = blob(
    OCI_CONFIG,
    Buffer.from(
      JSON.stringify({
        ...platform,
        config: { Entrypoint: ['/bin/sh'], Env: ['PATH=/bin'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      }),
    ),
  );
  const manifest = blob(
    OCI_MANIFEST,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: config.descriptor,
        layers: layers.map((l) => l.descriptor),
      }),
    ),
  );
  return { platform, config, layers, manifest };
}

/** An OCI index of the images, each entry with its platform (2-space indented, as buildx writes them). */
export function buildIndex(images: readonly BuiltImage[]): Blob {
  return blob(
    OCI_INDEX,
    Buffer.from(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: images.map((img) => ({ ...img.manifest.descriptor, platform: img.platform })),
        },
        null,
        2,
      ),
    ),
  );
}

export const sourceOf = (bytes: Buffer) => async (): Promise<Readable> => Readable.from([bytes]);

/** Pushes config and layers, then the manifest (tagged when `tag` is given). */
export async function pushImage(store: ContentStore, image: BuiltImage, tag?: string): Promise<Descriptor> {
  for (const b of [image.config, ...image.layers]) await store.pushBlob(b.descriptor, sourceOf(b.bytes));
  return store.putManifest(image.manifest.bytes, OCI_MANIFEST, tag === undefined ? {} : { tag });
}

export async function readAll(stream: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export interface LegacyArchiveImage {
  image: BuiltImage;
  repoTags: string[];
}

export interface LegacyArchiveOptions {
  /** Store every layer but the first of each image as a symlink `<id>/layer.tar -> ../<first id>/layer.tar`. */
  symlinkDuplicates?: boolean;
  /** Entries appended after the generated ones. */
  extra?: TarEntry[];
  /** Change manifest.json before it is written. */
  editManifest?: (items: Array<Record<string, unknown>>) => void;
  /** Store the layers' blobs as built (gzip, as crane's tarballs do) instead of the uncompressed tars. */
  compressedLayers?: boolean;
  /** Change the bytes of a layer tar as stored (not its diff_id). */
  tamperLayer?: (tar: Buffer) => Buffer;
}

/**
 * A docker-save archive of the legacy form (docker < 25): `<config hex>.json`, `<layer id>/layer.tar`, `<layer
 * id>/VERSION` and `json`, `manifest.json`, `repositories`. Layers are the uncompressed tars.
 */
export async function writeLegacyArchive(
  file: string,
  images: readonly LegacyArchiveImage[],
  options: LegacyArchiveOptions = {},
): Promise<void> {
  const entries: TarEntry[] = [];
  const items: Array<Record<string, unknown>> = [];
  for (const [n, { image, repoTags }] of images.entries()) {
    const configName = `${image.config.descriptor.digest.slice(7)}.json`;
    const layerPaths: string[] = [];
    image.layers.forEach((layer, i) => {
      const id = sha256Digest(`${n}/${i}/${layer.diffId}`).slice(7);
      entries.push({ type: 'dir', path: `${id}/` });
      entries.push({ type: 'file', path: `${id}/VERSION`, content: '1.0' });
      entries.push({ type: 'file', path: `${id}/json`, content: JSON.stringify({ id }) });
      const first = layerPaths[0];
      if (options.symlinkDuplicates && first !== undefined) {
        entries.push({ type: 'symlink', path: `${id}/layer.tar`, target: `../${first}` });
      } else {
        const stored = options.compressedLayers ? layer.bytes : layer.tar;
        const bytes = options.tamperLayer ? options.tamperLayer(stored) : stored;
        entries.push({ type: 'file', path: `${id}/layer.tar`, content: bytes });
      }
      layerPaths.push(`${id}/layer.tar`);
    });
    entries.push({ type: 'file', path: configName, content: image.config.bytes });
    items.push({ Config: configName, RepoTags: repoTags, Layers: layerPaths });
  }
  options.editManifest?.(items);
  entries.push({ type: 'file', path: 'manifest.json', content: JSON.stringify(items) });
  entries.push({ type: 'file', path: 'repositories', content: '{}' });
  entries.push(...(options.extra ?? []));
  writeFileSync(file, await makeTar(entries));
}

/**
 * A docker-save archive of the OCI form (docker 25+): an OCI image layout (`oci-layout`, `index.json` whose entries
 * carry `io.containerd.image.name` and `org.opencontainers.image.ref.name`, `blobs/sha256/…`) plus `manifest.json`
 * pointing into `blobs/`. Images listed in `untagged` are in manifest.json only, as docker writes images saved by ID.
 */
export async function writeOciArchive(
  file: string,
  tagged: ReadonlyArray<{ image: BuiltImage; name: string }>,
  untagged: readonly BuiltImage[] = [],
): Promise<void> {
  const entries: TarEntry[] = [
    { type: 'dir', path: 'blobs/' },
    { type: 'dir', path: 'blobs/sha256/' },
  ];
  const seen = new Set<string>();
  const addBlob = (b: Blob): string => {
    const path = `blobs/sha256/${b.descriptor.digest.slice(7)}`;
    if (!seen.has(path)) {
      seen.add(path);
      entries.push({ type: 'file', path, content: b.bytes });
    }
    return path;
  };
  const items: Array<Record<string, unknown>> = [];
  const indexEntries: unknown[] = [];
  for (const { image, name, tagged: isTagged } of [
    ...tagged.map((t) => ({ ...t, tagged: true })),
    ...untagged.map((image) => ({ image, name: '', tagged: false })),
  ]) {
    const config = addBlob(image.config);
    const layers = image.layers.map(addBlob);
    addBlob(image.manifest);
    const tag = name.slice(name.lastIndexOf(':') + 1);
    if (isTagged) {
      indexEntries.push({
        ...image.manifest.descriptor,
        annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
        platform: image.platform,
      });
    }
    const familiar = name.replace(/^docker\.io\/(library\/)?/, '');
    items.push({ Config: config, RepoTags: isTagged ? [familiar] : null, Layers: layers });
  }
  entries.push({
    type: 'file',
    path: 'index.json',
    content: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: indexEntries }),
  });
  entries.push({ type: 'file', path: 'manifest.json', content: JSON.stringify(items) });
  entries.push({ type: 'file', path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' });
  writeFileSync(file, await makeTar(entries));
}

/** An OCI image built with uncompressed layers (as docker 25 saves them). */
export function buildUncompressedImage(architecture: string): Promise<BuiltImage> {
  return buildImage(architecture, { gzip: false, layers: 2 });
}
