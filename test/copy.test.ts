import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copy } from '../src/copy/index.js';
import { isArchfitError } from '../src/errors.js';
import { type ImageIndex, parseManifest } from '../src/image/index.js';
import { type InspectResult, inspect } from '../src/inspect/index.js';
import { openLayout } from '../src/layout/index.js';
import { RegistryClient, type RequestEvent } from '../src/registry/index.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, jsonOf } from './support/cli.js';
import { isBlobGet, startFaultProxy } from './support/fault-proxy.js';
import { type Fixtures, loadFixtures, pushFixture } from './support/fixtures.js';
import { LayoutWriter, MediaType } from './support/oci-layout.js';
import { freePort, startRegistry, type TestRegistry } from './support/registry.js';
import { RegistryHttpClient } from './support/registry-http.js';
import { skopeoInspectRaw } from './support/tools.js';

let fx: Fixtures;
let a: TestRegistry;
let b: TestRegistry;
const src: Record<string, string> = {};

before(async () => {
  fx = await loadFixtures();
  [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  for (const name of ['multiArch', 'arm64OnlyDocker', 'singlePlatformBuildx'] as const) {
    src[name] = (await pushFixture(a, fx[name])).reference;
  }
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

interface CopyJson {
  source: { reference: string; digest: string };
  destination: { reference: string; digest: string };
  platforms: string[];
  rewritten: boolean;
  blobs: { copied: number; mounted: number; skipped: number };
  bytes: number;
}

/** Independent of the copy code: walks the destination tree by plain HTTP and checks every digest. */
async function walk(reg: TestRegistry, repo: string, ref: string): Promise<{ manifests: number; blobs: number }> {
  const http = new RegistryHttpClient(reg);
  let manifests = 0;
  let blobs = 0;
  const visit = async (reference: string): Promise<void> => {
    const got = await http.getManifest(repo, reference);
    manifests++;
    const parsed = parseManifest(got.bytes, { contentType: got.mediaType });
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) await visit(child.digest);
      return;
    }
    for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
      const res = await http.request('GET', `/v2/${repo}/blobs/${d.digest}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      const { createHash } = await import('node:crypto');
      assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, d.digest);
      blobs++;
    }
  };
  await visit(ref);
  return { manifests, blobs };
}

describe('archfit copy between real registries', () => {
  test('the whole six-platform index, byte for byte, every child and blob present', async () => {
    const run = await archfit(['copy', src.multiArch!, `${b.host}/mirror/multi:latest`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const r = jsonOf<CopyJson>(run);
    assert.equal(r.destination.digest, fx.multiArch.root.digest);
    assert.equal(r.source.digest, fx.multiArch.root.digest);
    assert.equal(r.rewritten, false);
    assert.equal(r.platforms.length, 6);
    const raw = await skopeoInspectRaw(b, 'mirror/multi', 'latest');
    assert.ok(raw.equals(fx.multiArch.rootBytes), 'skopeo sees the same index bytes');
    const tree = await walk(b, 'mirror/multi', 'latest');
    assert.equal(tree.manifests, 1 + fx.multiArch.children.length);
    assert.equal(
      tree.blobs,
      fx.multiArch.images.reduce((n, i) => n + 1 + i.layers.length, 0) +
        fx.multiArch.attestations.reduce((n, x) => n + 1 + x.layers.length, 0),
    );
  });

  test('re-copy of an image already there: HEAD requests only (counted)', async () => {
    const events: RequestEvent[] = [];
    const client = new RegistryClient({ onRequest: (e) => events.push(e) });
    try {
      const s = client.repository(a.host, 'fixtures/multi-arch');
      const d = client.repository(b.host, 'mirror/multi');
      const r = await copy(s, 'latest', d, 'latest');
      assert.equal(r.destination.digest, fx.multiArch.root.digest);
      const methods = events.filter((e) => e.url.includes('/v2/') && !e.url.endsWith('/v2/')).map((e) => e.method);
      assert.ok(methods.length > 0);
      assert.deepEqual([...new Set(methods)], ['HEAD'], JSON.stringify(events));
    } finally {
      await client.close();
    }
  });

  test('--platform linux/amd64: the destination is the amd64 image manifest itself', async () => {
    const run = await archfit([
      'copy',
      '--platform',
      'linux/amd64',
      src.multiArch!,
      `${b.host}/mirror/amd:1`,
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const amd = fx.multiArch.images.find((i) => i.platformString === 'linux/amd64')!;
    assert.equal(jsonOf<CopyJson>(run).destination.digest, amd.manifest.digest);
    const r = jsonOf<InspectResult>(await archfit(['inspect', `${b.host}/mirror/amd:1`, '--json']));
    assert.equal(r.kind, 'image');
    assert.deepEqual(r.platforms, ['linux/amd64']);
  });

  test('two platforms: a rewritten index of exactly those, with their attestations unless --no-attestations', async () => {
    const run = await archfit([
      'copy',
      '--platform',
      'linux/amd64,linux/arm64',
      src.multiArch!,
      `${b.host}/mirror/two:1`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /index is new \(digest sha256:[0-9a-f]{64}/);
    const r = jsonOf<InspectResult>(await archfit(['inspect', `${b.host}/mirror/two:1`, '--json']));
    assert.deepEqual(r.platforms, ['linux/amd64', 'linux/arm64/v8']);
    assert.equal(r.manifests.filter((m) => m.kind === 'attestation').length, 2);
    assert.notEqual(r.digest, fx.multiArch.root.digest);
    // Order and annotations of the kept entries are those of the source.
    const source = fx.multiArch.readJson<ImageIndex>(fx.multiArch.root.digest);
    const kept = source.manifests.filter((m) => r.manifests.some((k) => k.digest === m.digest));
    assert.deepEqual(
      r.manifests.map((m) => m.digest),
      kept.map((m) => m.digest),
    );

    const bare = await archfit([
      'copy',
      '-p',
      'linux/amd64',
      '-p',
      'linux/arm64',
      '--no-attestations',
      src.multiArch!,
      `${b.host}/mirror/two:bare`,
      '--json',
    ]);
    assert.equal(bare.code, 0, bare.stderr);
    const r2 = jsonOf<InspectResult>(await archfit(['inspect', `${b.host}/mirror/two:bare`, '--json']));
    assert.equal(r2.manifests.length, 2);
    assert.equal(r2.manifests.filter((m) => m.kind === 'attestation').length, 0);
  });

  test('no matching platform: exit 1 listing what is there, nothing pushed', async () => {
    const run = await archfit(['copy', '--platform', 'linux/riscv64', src.multiArch!, `${b.host}/mirror/none:1`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /NO_MATCHING_PLATFORM.*linux\/s390x/);
    const head = await b.fetch('/v2/mirror/none/manifests/1', { method: 'HEAD' });
    assert.equal(head.status, 404);
  });

  test('a missing source and an unreachable destination: the source is what the one line names', async () => {
    // Both sides are asked at once; the destination (nothing listens there) fails first, the source's answer wins.
    const closed = await freePort();
    const run = await archfit(['copy', `${a.host}/no/such:image`, `127.0.0.1:${closed}/mirror/x:1`]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^archfit: (MANIFEST_UNKNOWN|NAME_UNKNOWN): .*no\/such/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  });

  test("the seed's flow: --target apprunner refuses the arm64-only image before pushing, and fixes it from the upstream", async () => {
    const refused = await archfit([
      'copy',
      '--target',
      'apprunner',
      src.arm64OnlyDocker!,
      `${b.host}/ecr/grafana:latest`,
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /only linux\/arm64/);
    const nothing = await b.fetch('/v2/ecr/grafana/manifests/latest', { method: 'HEAD' });
    assert.equal(nothing.status, 404);

    const fixed = await archfit(['copy', '--target', 'apprunner', src.multiArch!, `${b.host}/ecr/grafana:latest`]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /Confirmed: .* runs on AWS App Runner \(linux\/amd64\)/);
    const amd = fx.multiArch.images.find((i) => i.platformString === 'linux/amd64')!;
    const r = jsonOf<InspectResult>(await archfit(['inspect', `${b.host}/ecr/grafana:latest`, '--json']));
    assert.equal(r.digest, amd.manifest.digest);
  });

  test('into and out of an OCI layout: the digests round-trip', async () => {
    const dir = makeTempDir('copy-layout');
    const out = await archfit(['copy', src.multiArch!, `oci:${dir}:v1`, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(jsonOf<CopyJson>(out).destination.digest, fx.multiArch.root.digest);
    const store = await openLayout(dir);
    assert.deepEqual(await store.listTags(), ['v1']);
    const back = await archfit(['copy', `oci:${dir}:v1`, `${b.host}/from-layout/multi:v1`, '--json']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(jsonOf<CopyJson>(back).destination.digest, fx.multiArch.root.digest);
    const tree = await walk(b, 'from-layout/multi', 'v1');
    assert.equal(tree.manifests, 1 + fx.multiArch.children.length);
    // A single platform out of the layout, under the source's tag when the destination names none.
    const single = await archfit([
      'copy',
      '-p',
      'linux/ppc64le',
      `oci:${dir}:v1`,
      `${b.host}/from-layout/ppc`,
      '--json',
    ]);
    assert.equal(single.code, 0, single.stderr);
    assert.equal(jsonOf<CopyJson>(single).destination.reference, `${b.host}/from-layout/ppc:v1`);
  });

  test('nested indexes go bottom-up: an inner index only after the manifests it lists, also one listed twice', async () => {
    // A layout with the six-platform image, plus an outer index over one image manifest and an inner index that
    // lists that same manifest and another: the shared manifest is met first as a child of the outer index.
    const dir = makeTempDir('copy-nested');
    assert.equal((await archfit(['copy', src.multiArch!, `oci:${dir}:base`])).code, 0);
    const [first, second] = fx.multiArch.children;
    const layout = new LayoutWriter(dir);
    const desc = (c: typeof first) => ({ mediaType: c!.mediaType, digest: c!.digest, size: c!.size });
    const inner = layout.writeJson(
      { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [desc(first), desc(second)] },
      MediaType.ociIndex,
    );
    const outer = layout.writeJson(
      { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [desc(first), inner.descriptor] },
      MediaType.ociIndex,
    );
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: unknown[] };
    index.manifests.push({ ...outer.descriptor, annotations: { 'org.opencontainers.image.ref.name': 'nested' } });
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    // The registry refuses an index whose manifests it does not have: the order is checked by the registry itself.
    const http = new RegistryHttpClient(b);
    await assert.rejects(http.putManifest('nested/refused', 'v1', inner.bytes, MediaType.ociIndex));
    const out = await archfit(['copy', `oci:${dir}:nested`, `${b.host}/nested/app:v1`, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(jsonOf<CopyJson>(out).destination.digest, outer.descriptor.digest);
    const tree = await walk(b, 'nested/app', 'v1');
    assert.equal(tree.manifests, 1 + 1 + 1 + 2, 'outer, its image, the inner index and its two images');
  });

  test('--dry-run pushes nothing and says what it would do', async () => {
    const run = await archfit(['copy', '--dry-run', src.multiArch!, `${b.host}/dry/run:1`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Would copy/);
    assert.equal((await b.fetch('/v2/dry/run/manifests/1', { method: 'HEAD' })).status, 404);
  });

  test('a copy broken by killed connections leaves no tag; a rerun completes', async () => {
    const proxy = await startFaultProxy({
      target: a.url,
      rule: (r) => (isBlobGet(r) ? { type: 'reset', afterBytes: 100 } : undefined),
    });
    const client = new RegistryClient({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      const s = client.repository(proxy.host, 'fixtures/multi-arch');
      const d = client.repository(b.host, 'broken/multi');
      await assert.rejects(copy(s, 'latest', d, 'latest'), (e: unknown) => isArchfitError(e));
      assert.equal((await b.fetch('/v2/broken/multi/manifests/latest', { method: 'HEAD' })).status, 404);
      proxy.setRule(undefined);
      const r = await copy(s, 'latest', d, 'latest');
      assert.equal(r.destination.digest, fx.multiArch.root.digest);
      const tree = await walk(b, 'broken/multi', 'latest');
      assert.equal(tree.manifests, 1 + fx.multiArch.children.length);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  test('Ctrl-C during a copy aborts cleanly: exit 3, one line, no tag written', async () => {
    const proxy = await startFaultProxy({
      target: a.url,
      rule: (r) => (isBlobGet(r) ? { type: 'delay', ms: 4000 } : undefined),
    });
    try {
      const child = spawn(
        process.execPath,
        ['dist/cli.js', 'copy', `${proxy.host}/fixtures/multi-arch:latest`, `${b.host}/interrupted/multi:1`],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 3, stderr);
      assert.match(stderr, /ABORTED/);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.equal((await b.fetch('/v2/interrupted/multi/manifests/1', { method: 'HEAD' })).status, 404);
    } finally {
      await proxy.close();
    }
  });

  test('within one registry, blobs are mounted across repositories', async () => {
    const run = await archfit(['copy', src.multiArch!, `${a.host}/other/multi:1`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const r = jsonOf<CopyJson>(run);
    assert.ok(r.blobs.mounted > 0, JSON.stringify(r.blobs));
    assert.equal(r.blobs.copied, 0);
    assert.equal(r.bytes, 0);
  });

  test('library inspect of the copy agrees with the source', async () => {
    const client = new RegistryClient();
    try {
      const r = await inspect(client.repository(b.host, 'mirror/multi'), 'latest');
      assert.equal(r.digest, fx.multiArch.root.digest);
    } finally {
      await client.close();
    }
  });
});
