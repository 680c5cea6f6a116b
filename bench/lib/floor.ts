// The floor of a registry → registry copy on this machine: the same blobs moved A → B by two curls per blob (GET piped
// into a chunked PUT), with nothing checked on the way, the same concurrency, then the manifests PUT. What is left is
// the registries' own work (reading, hashing, writing the blob files) and the loopback: no copy tool can beat it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../../src/util/map-limit.js';
import type { TestRegistry } from '../../test/support/registry.js';
import { run } from '../../test/support/tools.js';
import type { BenchBlob, BenchLayout } from './images.js';

async function putManifest(registry: TestRegistry, repo: string, ref: string, blob: BenchBlob, dir: string) {
  const bytes = readFileSync(join(dir, 'blobs', 'sha256', blob.digest.slice(7)));
  const res = await registry.fetch(`/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    headers: { 'content-type': blob.mediaType },
    body: bytes,
  });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`floor: PUT manifest ${ref}: HTTP ${res.status}`);
}

/** Copies `srcRepo:latest` of A (which holds `layout`) to `dstRepo:latest` of B; returns the wall time in ms. */
export async function curlCopy(
  a: TestRegistry,
  srcRepo: string,
  b: TestRegistry,
  dstRepo: string,
  layout: BenchLayout,
  jobs: number,
): Promise<number> {
  const blobs = new Map<string, BenchBlob>();
  for (const img of layout.images) for (const blob of [img.config, ...img.layers]) blobs.set(blob.digest, blob);
  const started = performance.now();
  await mapLimit([...blobs.values()], jobs, async (blob) => {
    const post = await b.fetch(`/v2/${dstRepo}/blobs/uploads/`, { method: 'POST' });
    await post.body?.cancel();
    const location = post.headers.get('location');
    if (post.status !== 202 || !location) throw new Error(`floor: POST upload: HTTP ${post.status}`);
    const put = new URL(location, b.url);
    put.searchParams.set('digest', blob.digest);
    await run('sh', [
      '-c',
      'curl -sSf "$1" | curl -sSf -o /dev/null -X PUT -H "Content-Type: application/octet-stream" -T - "$2"',
      'floor',
      `${a.url}/v2/${srcRepo}/blobs/${blob.digest}`,
      put.href,
    ]);
  });
  for (const img of layout.images) await putManifest(b, dstRepo, img.manifest.digest, img.manifest, layout.dir);
  await putManifest(b, dstRepo, 'latest', layout.root, layout.dir);
  return performance.now() - started;
}
