// Images made up in a test (hostile layers, odd tars, many layers), written as an OCI image layout in a temp dir and
// served by the test layout store. Layers are tar-stream tars (or raw bytes), gzip by node:zlib or zstd by the zstd
// CLI, exactly as given: nothing here cleans names or fixes headers.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Descriptor } from '../../src/image/index.js';
import { makeTempDir } from './cleanup.js';
import { TestLayoutStore } from './layout-store.js';
import {
  type Compression,
  compress,
  LayoutWriter,
  MediaType,
  makeTar,
  type Platform,
  sha256Digest,
  type TarEntry,
} from './oci-layout.js';
import { busyboxPath, type DebianArch } from './paths.js';

export interface CraftLayer {
  entries?: TarEntry[];
  /** A ready tar (instead of entries). */
  tar?: Buffer;
  compression?: Compression;
  /** The blob exactly (instead of a compressed tar); its DiffID is taken from `diffId`, or guessed. */
  blob?: Buffer;
  mediaType?: string;
  /** Overrides the DiffID written in the config. */
  diffId?: string;
}

export interface CraftImage {
  platform?: Platform;
  layers: CraftLayer[];
  config?: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string };
}

export interface CraftedImage {
  dir: string;
  store: TestLayoutStore;
  /** The image manifest's descriptor. */
  manifest: Descriptor;
  layers: Descriptor[];
  /** For the rootfs oracle: how to read a blob. */
  readBlob(digest: string): Buffer;
  image: { layers: { digest: string; mediaType: string }[] };
  env: string[];
}

export const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

const binaries = new Map<DebianArch, Buffer>();

/** The real static busybox of a Debian architecture. */
export function busybox(arch: DebianArch): Buffer {
  let b = binaries.get(arch);
  if (!b) {
    b = readFileSync(busyboxPath(arch));
    binaries.set(arch, b);
  }
  return b;
}

export const dir = (path: string, mode = 0o755): TarEntry => ({ type: 'dir', path, mode });
export const file = (path: string, content: Buffer | string, mode = 0o644): TarEntry => ({
  type: 'file',
  path,
  content,
  mode,
});
export const exe = (path: string, content: Buffer | string): TarEntry => file(path, content, 0o755);
export const symlink = (path: string, target: string): TarEntry => ({ type: 'symlink', path, target });
export const hardlink = (path: string, target: string): TarEntry => ({ type: 'hardlink', path, target });

function mediaTypeOf(compression: Compression): string {
  return compression === 'gzip'
    ? MediaType.ociLayerGzip
    : compression === 'zstd'
      ? MediaType.ociLayerZstd
      : MediaType.ociLayer;
}

function guessDiffId(blob: Buffer): string {
  try {
    return sha256Digest(gunzipSync(blob));
  } catch {
    return sha256Digest(blob);
  }
}

/** Writes the image into a fresh temp dir (or `into`) and opens a test store on it. */
export async function craftImage(spec: CraftImage, into?: string): Promise<CraftedImage> {
  const dirPath = into ?? makeTempDir('deep-image');
  const w = new LayoutWriter(dirPath);
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const l of spec.layers) {
    const compression = l.compression ?? 'gzip';
    let blob: Buffer;
    let diffId: string;
    if (l.blob) {
      blob = l.blob;
      diffId = l.diffId ?? guessDiffId(blob);
    } else {
      const tar = l.tar ?? (await makeTar(l.entries ?? []));
      blob = compress(tar, compression);
      diffId = l.diffId ?? sha256Digest(tar);
    }
    const written = w.writeBlob(blob);
    layers.push({ mediaType: l.mediaType ?? mediaTypeOf(compression), ...written } as Descriptor);
    diffIds.push(diffId);
  }
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const env = spec.config?.Env ?? DEFAULT_ENV;
  const config = {
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: { ...spec.config, Env: env },
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  const configBlob = w.writeJson(config, MediaType.ociConfig).descriptor;
  const manifest = w.writeJson(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: configBlob,
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    },
    MediaType.ociManifest,
  ).descriptor as Descriptor;
  w.tag(manifest, 'latest');
  w.finish();
  const store = new TestLayoutStore(dirPath);
  return {
    dir: dirPath,
    store,
    manifest,
    layers,
    readBlob: (digest: string) => readFileSync(store.blobPath(digest)),
    image: { layers: layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType })) },
    env,
  };
}

/** A 512-byte ustar header for a regular file of `size` bytes (the data and padding follow). */
export function tarHeader(name: string, size: number, mode = 0o644, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(Date.UTC(2024, 0, 1) / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * A gzip bomb as a layer blob: a tar whose first entry `bigName` holds `zeroMiB` MiB of zeros, written as gzip
 * members (multi-member gzip is legitimate), followed by `tail` (a tar of more entries, end blocks included).
 * Returns the blob and its DiffID (computed by streaming, without holding the tar).
 */
export function gzipBomb(bigName: string, zeroMiB: number, tail: Buffer): { blob: Buffer; diffId: string } {
  const mib = Buffer.alloc(1024 * 1024);
  const zeroMember = gzipSync(mib, { level: 9 });
  const header = tarHeader(bigName, zeroMiB * 1024 * 1024);
  const parts: Buffer[] = [gzipSync(header)];
  const hash = createHash('sha256').update(header);
  for (let i = 0; i < zeroMiB; i++) {
    parts.push(zeroMember);
    hash.update(mib);
  }
  parts.push(gzipSync(tail));
  hash.update(tail);
  return { blob: Buffer.concat(parts), diffId: `sha256:${hash.digest('hex')}` };
}

/** zstd-compresses with the zstd CLI and extra arguments (`--long=27`, `-19` …). */
export function zstdWith(bytes: Buffer, args: readonly string[]): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', '--no-progress', ...args], { input: bytes, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`test harness: zstd ${args.join(' ')} failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** A zstd skippable frame (magic 0x184D2A5n) with `payload`. */
export function skippableFrame(payload: Buffer, n = 0): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a50 + (n & 0xf), 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}
