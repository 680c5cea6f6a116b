// The images the benchmark copies, inspects and checks, written as OCI image layouts under bench/cache/images and
// reused while their parameters stay the same (a `meta.json` written last marks a layout as complete). Layers are
// streamed to disk (tar → gzip → file, hashed on the way), so a 1 GB layer never sits in memory.
import { randomFillSync } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { newHasher } from '../../src/digest/index.js';
import { FIXED_TIME, LayoutWriter, MediaType, sha256Digest } from '../../test/support/oci-layout.js';

export interface BenchBlob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface BenchLayer extends BenchBlob {
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

export interface BenchImage {
  platform: string;
  manifest: BenchBlob;
  config: BenchBlob;
  layers: BenchLayer[];
}

export interface BenchLayout {
  /** The layout directory (`oci:DIR:TAG`). */
  dir: string;
  tag: string;
  /** What `tag` points at: an index or an image manifest. */
  root: BenchBlob;
  images: BenchImage[];
  /** Sum of all blob sizes (layers, configs, manifests). */
  totalBytes: number;
}

/** How the bytes of a layer's file look: incompressible (random), or about 2:1 under gzip like typical layers. */
export type Content = 'random' | 'text';

export interface LayerSpec {
  /** Bytes of filler content (a file of that size in the tar). */
  bytes: number;
  content: Content;
  /** 0 (stored) … 9. */
  level: number;
  /** Extra small files, written before the filler. */
  files?: Array<{ path: string; content: Buffer; mode: number }>;
  /** Layers with the same id in one layout are written once and shared by the images that list them. */
  id?: string;
}

export interface ImageSpec {
  platform: { os: string; architecture: string; variant?: string };
  layers: LayerSpec[];
  entrypoint?: string[];
  /** With `separate`: the tag of this image in the layout. */
  tag?: string;
}

const CHUNK = 1024 * 1024;

/** Filler bytes, made a chunk at a time. 'text' draws from 16 letters: Huffman coding halves it, LZ77 finds little. */
function* filler(total: number, content: Content): Generator<Buffer> {
  let left = total;
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    const b = Buffer.allocUnsafe(n);
    randomFillSync(b);
    if (content === 'text') for (let i = 0; i < n; i++) b[i] = 0x61 + (b[i]! & 0x0f);
    left -= n;
    yield b;
  }
}

/** Counts and hashes what passes through. */
class Tap extends Transform {
  readonly hash = newHasher();
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

function write(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = stream.write(chunk, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}

/** Writes one gzip layer (a tar with the spec's files and one filler file) as a blob of `w`. */
async function writeLayer(w: LayoutWriter, spec: LayerSpec, name: string): Promise<BenchLayer> {
  const p = pack();
  const tarTap = new Tap();
  const blobTap = new Tap();
  const tmp = join(w.dir, `.tmp-${name}`);
  const done = pipeline(
    p as unknown as Readable,
    tarTap,
    createGzip({ level: spec.level }),
    blobTap,
    createWriteStream(tmp),
  );
  const common = { mtime: FIXED_TIME, uid: 0, gid: 0, uname: '', gname: '' };
  const entry = (header: { name: string; type: 'directory' | 'file'; mode: number; size?: number }, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      p.entry({ ...common, ...header }, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  const dirs = new Set<string>();
  for (const f of spec.files ?? []) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        await entry({ name: `${d}/`, type: 'directory', mode: 0o755 });
      }
    }
    await entry({ name: f.path, type: 'file', mode: f.mode, size: f.content.length }, f.content);
  }
  if (spec.bytes > 0) {
    await entry({ name: 'data/', type: 'directory', mode: 0o755 });
    const body = new PassThrough();
    const finished = new Promise<void>((resolve, reject) => {
      const e = p.entry({ ...common, name: `data/${name}.bin`, type: 'file', mode: 0o644, size: spec.bytes }, (err) =>
        err ? reject(err) : resolve(),
      );
      body.pipe(e);
    });
    for (const chunk of filler(spec.bytes, spec.content)) await write(body, chunk);
    body.end();
    await finished;
  }
  p.finalize();
  await done;
  const digest = `sha256:${blobTap.hash.digest('hex')}`;
  renameSync(tmp, join(w.dir, 'blobs', 'sha256', digest.slice(7)));
  return {
    mediaType: MediaType.ociLayerGzip,
    digest,
    size: blobTap.bytes,
    diffId: `sha256:${tarTap.hash.digest('hex')}`,
    tarSize: tarTap.bytes,
  };
}

function platformString(p: ImageSpec['platform']): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

async function writeImage(
  w: LayoutWriter,
  spec: ImageSpec,
  prefix: string,
  shared: Map<string, BenchLayer>,
): Promise<BenchImage> {
  const layers: BenchLayer[] = [];
  for (const [i, l] of spec.layers.entries()) {
    let layer = l.id === undefined ? undefined : shared.get(l.id);
    if (!layer) {
      layer = await writeLayer(w, l, `${prefix}-${i}`);
      if (l.id !== undefined) shared.set(l.id, layer);
    }
    layers.push(layer);
  }
  const config = w.writeJson(
    {
      created: '2024-01-01T00:00:00Z',
      architecture: spec.platform.architecture,
      ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
      os: spec.platform.os,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    },
    MediaType.ociConfig,
  ).descriptor;
  const manifest = w.writeJson(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    },
    MediaType.ociManifest,
  ).descriptor;
  return {
    platform: platformString(spec.platform),
    manifest: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers,
  };
}

/** The platforms of the multi-platform benchmark image. */
export const BENCH_PLATFORMS: ReadonlyArray<{ os: string; architecture: string; variant?: string }> = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
  { os: 'linux', architecture: 'arm', variant: 'v7' },
  { os: 'linux', architecture: 'ppc64le' },
];

/**
 * The multi-platform benchmark image: 4 platforms × 4 layers, `totalMb` MiB in all. Incompressible bytes, gzip
 * "stored" (level 0): the blob is as large as the data, and nothing is spent on compression while building; copying
 * never looks inside anyway.
 */
export function multiSpecs(totalMb: number): ImageSpec[] {
  const perLayer = Math.round((totalMb * 1024 * 1024) / 16);
  return BENCH_PLATFORMS.map((platform) => ({
    platform,
    layers: [0, 1, 2, 3].map(() => ({ bytes: perLayer, content: 'random' as const, level: 0 })),
  }));
}

/**
 * Returns the layout `name` (under `baseDir`) for these specs, building it when it is missing or was built from other
 * specs. More than one spec makes an index of them (tag `latest`); one makes a plain image manifest. With `separate`,
 * each image is tagged on its own (its `tag`) and there is no index.
 */
export async function ensureLayout(
  baseDir: string,
  name: string,
  specs: ImageSpec[],
  separate = false,
): Promise<BenchLayout> {
  const dir = join(baseDir, name);
  const key = sha256Digest(
    JSON.stringify({ v: 2, specs, separate }, (_k, v) => (Buffer.isBuffer(v) ? sha256Digest(v) : v)),
  );
  const metaFile = join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { key: string; layout: BenchLayout };
    if (meta.key === key) return meta.layout;
  }
  rmSync(dir, { recursive: true, force: true });
  const w = new LayoutWriter(dir);
  const images: BenchImage[] = [];
  const shared = new Map<string, BenchLayer>();
  for (const [i, spec] of specs.entries()) images.push(await writeImage(w, spec, `${name}-${i}`, shared));
  let root: BenchBlob;
  if (images.length === 1 || separate) root = images[0]!.manifest;
  else {
    const index = w.writeJson(
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: images.map((img, i) => ({ ...img.manifest, platform: specs[i]!.platform })),
      },
      MediaType.ociIndex,
    ).descriptor;
    root = { mediaType: index.mediaType, digest: index.digest, size: index.size };
  }
  if (separate) for (const [i, img] of images.entries()) w.tag(img.manifest, specs[i]!.tag ?? `image-${i}`);
  else w.tag(root, 'latest');
  w.finish();
  const blobs = new Map<string, number>();
  for (const img of images) for (const b of [img.manifest, img.config, ...img.layers]) blobs.set(b.digest, b.size);
  if (images.length > 1 && !separate) blobs.set(root.digest, root.size);
  const totalBytes = [...blobs.values()].reduce((n, size) => n + size, 0);
  const layout: BenchLayout = { dir, tag: 'latest', root, images, totalBytes };
  writeFileSync(metaFile, JSON.stringify({ key, layout }, null, 2));
  return layout;
}

/**
 * A minimal static x86-64 ELF executable that exits 0: ELF header, one PT_LOAD program header, 12 bytes of code
 * (`mov eax, 60; xor edi, edi; syscall`). Enough for the deep check to read a real entrypoint binary.
 */
export function tinyElf(): Buffer {
  const code = Buffer.from([0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05]);
  const base = 0x400000;
  const headerSize = 64 + 56;
  const b = Buffer.alloc(headerSize + code.length);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // 64-bit
  b[5] = 1; // little endian
  b[6] = 1; // version
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(62, 18); // EM_X86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(base + headerSize), 24); // entry
  b.writeBigUInt64LE(64n, 32); // phoff
  b.writeUInt16LE(64, 52); // ehsize
  b.writeUInt16LE(56, 54); // phentsize
  b.writeUInt16LE(1, 56); // phnum
  b.writeUInt32LE(1, 64); // PT_LOAD
  b.writeUInt32LE(5, 68); // R+X
  b.writeBigUInt64LE(0n, 72); // offset
  b.writeBigUInt64LE(BigInt(base), 80); // vaddr
  b.writeBigUInt64LE(BigInt(base), 88); // paddr
  b.writeBigUInt64LE(BigInt(b.length), 96); // filesz
  b.writeBigUInt64LE(BigInt(b.length), 104); // memsz
  b.writeBigUInt64LE(0x1000n, 112); // align
  code.copy(b, headerSize);
  return b;
}
