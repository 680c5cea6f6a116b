// A minimal, deterministic OCI image layout writer and layer builder for fixtures (independent from src/layout):
// tar with fixed timestamps and owners (tar-stream), gzip (node:zlib) or zstd (the zstd CLI), JSON blobs written
// byte-for-byte as given, `index.json` with `org.opencontainers.image.ref.name` tags.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

/** 2024-01-01T00:00:00Z: every timestamp in fixtures, so digests do not depend on when they were built. */
export const FIXED_TIME = new Date('2024-01-01T00:00:00Z');
/** FIXED_TIME as Go (buildkit) writes it in configs. */
export const FIXED_CREATED = '2024-01-01T00:00:00Z';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export const sha256Digest = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; content: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string };

/** A tar of the entries, in order, with uid/gid 0, empty owner names and FIXED_TIME. */
export async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  const common = { mtime: FIXED_TIME, uid: 0, gid: 0, uname: '', gname: '' };
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.type === 'dir') {
        // Directory names end in '/', as Go's archive/tar and GNU tar write them.
        const name = e.path.endsWith('/') ? e.path : `${e.path}/`;
        p.entry({ ...common, name, type: 'directory', mode: e.mode ?? 0o755 }, cb);
      } else if (e.type === 'file') {
        const body = Buffer.from(e.content);
        p.entry({ ...common, name: e.path, type: 'file', mode: e.mode ?? 0o644, size: body.length }, body, cb);
      } else {
        const type = e.type === 'symlink' ? 'symlink' : 'link';
        p.entry({ ...common, name: e.path, type, linkname: e.target, mode: 0o777 }, cb);
      }
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export type Compression = 'gzip' | 'zstd' | 'none';

export function compress(tar: Buffer, compression: Compression): Buffer {
  if (compression === 'none') return tar;
  // zlib's gzip header has mtime 0 and no file name, so the output depends only on the input and zlib.
  if (compression === 'gzip') return gzipSync(tar, { level: 6 });
  const r = spawnSync('zstd', ['-q', '-c', '-3', '--no-progress'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0 || !r.stdout || r.stdout.length === 0) {
    throw new Error(`test harness: zstd failed (${r.error?.message ?? r.stderr?.toString().trim()})`);
  }
  return r.stdout;
}

/** Writes blobs into `<dir>/blobs/sha256/` and, on `finish`, `oci-layout` and `index.json`. */
export class LayoutWriter {
  readonly dir: string;
  private readonly refs: Descriptor[] = [];

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  }

  /** Stores bytes as a blob; returns its descriptor (without media type). */
  writeBlob(bytes: Buffer): { digest: string; size: number } {
    const digest = sha256Digest(bytes);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return { digest, size: bytes.length };
  }

  /** Serialises `value` (2-space indented, as buildx does for indexes), stores it, returns bytes and descriptor. */
  writeJson(value: unknown, mediaType: string): { bytes: Buffer; descriptor: Descriptor } {
    const bytes = Buffer.from(JSON.stringify(value, null, 2));
    return { bytes, descriptor: { mediaType, ...this.writeBlob(bytes) } };
  }

  /** Adds an `index.json` entry for `descriptor`, tagged `tag`. */
  tag(descriptor: Descriptor, tag: string): void {
    this.refs.push({
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    });
  }

  finish(): void {
    writeFileSync(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.refs }),
    );
  }
}
