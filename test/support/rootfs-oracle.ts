// A small, obviously-correct oracle for what is inside a fixture image (independent from src/rootfs): decompress each
// layer (gzip via node:zlib, zstd via the zstd CLI), apply it over the lower ones with OCI whiteout rules (`.wh.NAME`
// removes NAME, `.wh..wh..opq` hides the directory's lower contents), then resolve a command the way execve and a
// PATH lookup would, following symlinks. Holds everything in memory: meant for small fixture images only.
import { spawnSync } from 'node:child_process';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import type { Fixture, FixtureImage } from './fixtures.js';
import { MediaType } from './oci-layout.js';

export interface RootfsEntry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  /** Symlink target, as stored. */
  target?: string;
  content?: Buffer;
}

/** Absolute path (`/bin/busybox`) → entry, after all layers. */
export type MergedRootfs = Map<string, RootfsEntry>;

function decompress(bytes: Buffer, mediaType: string): Buffer {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) {
    const r = spawnSync('zstd', ['-d', '-q', '-c'], { input: bytes, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd -d failed: ${r.stderr?.toString()}`);
    return r.stdout;
  }
  if (mediaType.endsWith('gzip') || mediaType === MediaType.dockerLayerGzip) return gunzipSync(bytes);
  return bytes;
}

interface TarItem {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode: number;
  target?: string;
  content?: Buffer;
}

async function readTar(tar: Buffer): Promise<TarItem[]> {
  const items: TarItem[] = [];
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const path = posix.normalize(`/${header.name}`).replace(/\/+$/, '') || '/';
        const type =
          header.type === 'directory'
            ? 'dir'
            : header.type === 'symlink'
              ? 'symlink'
              : header.type === 'link'
                ? 'hardlink'
                : 'file';
        items.push({
          path,
          type,
          mode: header.mode ?? 0,
          ...(header.linkname ? { target: header.linkname } : {}),
          ...(type === 'file' ? { content: Buffer.concat(chunks) } : {}),
        });
        next();
      });
      stream.resume();
    });
    x.on('finish', () => resolve());
    x.on('error', reject);
  });
  x.end(tar);
  await done;
  return items;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/** Applies the image's layers in order, with whiteouts, and returns the merged filesystem. */
export async function mergeLayers(fixture: Fixture, image: FixtureImage): Promise<MergedRootfs> {
  const fs: MergedRootfs = new Map();
  for (const layer of image.layers) {
    const items = await readTar(decompress(fixture.readBlob(layer.digest), layer.mediaType));
    const lower = new Set(fs.keys());
    const added = new Set<string>();
    for (const item of items) {
      const base = posix.basename(item.path);
      const dir = posix.dirname(item.path);
      if (base === '.wh..wh..opq') {
        for (const p of lower) if (p !== dir && under(p, dir) && !added.has(p)) fs.delete(p);
        continue;
      }
      if (base.startsWith('.wh.')) {
        const victim = posix.join(dir, base.slice(4));
        for (const p of [...fs.keys()]) if (under(p, victim)) fs.delete(p);
        continue;
      }
      if (item.type === 'hardlink') {
        const source = fs.get(posix.normalize(`/${item.target ?? ''}`));
        if (source) fs.set(item.path, { ...source });
        continue;
      }
      // A non-directory replaces whatever was there, including a lower directory's contents.
      if (item.type !== 'dir') for (const p of [...fs.keys()]) if (under(p, item.path)) fs.delete(p);
      added.add(item.path);
      fs.set(item.path, {
        type: item.type,
        mode: item.mode,
        ...(item.target !== undefined ? { target: item.target } : {}),
        ...(item.content ? { content: item.content } : {}),
      });
    }
  }
  return fs;
}

/** Follows symlinks (relative and absolute, `..` clamped at `/`) to the final path; undefined when missing or looping. */
export function resolvePath(fs: MergedRootfs, path: string, follows = 0): string | undefined {
  const parts = path.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '.') continue;
    if (part === '..') {
      cur = cur.slice(0, cur.lastIndexOf('/'));
      continue;
    }
    const next = `${cur}/${part}`;
    const entry = fs.get(next);
    if (!entry) {
      const impliedDir = i < parts.length - 1 && [...fs.keys()].some((k) => k.startsWith(`${next}/`));
      if (!impliedDir) return undefined;
    } else if (entry.type === 'symlink') {
      if (follows >= 40) return undefined;
      const rest = parts.slice(i + 1).join('/');
      const base = entry.target!.startsWith('/') ? entry.target! : `${cur}/${entry.target}`;
      return resolvePath(fs, rest ? `${base}/${rest}` : base, follows + 1);
    }
    cur = next;
  }
  return cur || '/';
}

/**
 * What execve of `command[0]` would open: a path with a slash is taken as is (relative to `workingDir`), a bare name
 * is looked up in PATH (from `env`) for a regular file. Returns the path after symlinks, or undefined.
 */
export function resolveCommand(
  fs: MergedRootfs,
  command: readonly string[],
  env: readonly string[] = [],
  workingDir = '/',
): string | undefined {
  const argv0 = command[0];
  if (!argv0) return undefined;
  const isFile = (p: string | undefined) => (p !== undefined && fs.get(p)?.type === 'file' ? p : undefined);
  if (argv0.includes('/')) return isFile(resolvePath(fs, posix.resolve(workingDir, argv0)));
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/bin:/usr/bin:/bin';
  for (const dir of pathVar.split(':').filter(Boolean)) {
    const found = isFile(resolvePath(fs, posix.join(dir, argv0)));
    if (found) return found;
  }
  return undefined;
}
