// The local stores against real parts: layouts written by us and read by skopeo, written by skopeo and read by us,
// docker-save archives built here (legacy and OCI forms) and written by skopeo; plus the hostile cases (tampered
// blobs, crafted digests, traversing tar entries, a writer killed halfway).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ArchfitError, type ErrorCode, isArchfitError } from '../src/errors.js';
import type { Descriptor } from '../src/image/index.js';
import {
  DOCKER_LAYER_TAR_MEDIA_TYPE,
  DockerArchiveStore,
  OciLayoutStore,
  openDockerArchive,
  openLayout,
  parseLocalLocation,
} from '../src/layout/index.js';
import { makeTempDir } from './support/cleanup.js';
import { loadFixtures } from './support/fixtures.js';
import {
  type BuiltImage,
  buildImage,
  buildIndex,
  buildUncompressedImage,
  OCI_INDEX,
  OCI_MANIFEST,
  pushImage,
  readAll,
  sourceOf,
  writeLegacyArchive,
  writeOciArchive,
} from './support/layout-fixtures.js';
import { makeTar, sha256Digest } from './support/oci-layout.js';
import { skopeo, skopeoCopy } from './support/tools.js';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..');

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<ArchfitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isArchfitError(error), `expected ArchfitError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), `message is one line: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected ArchfitError ${code}, but it resolved`);
}

function flipByte(file: string, at = -10): void {
  const bytes = readFileSync(file);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] as number) ^ 0xff;
  writeFileSync(file, bytes);
}

const blobFile = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

/** A layout holding a two-platform index tagged `tag`; returns the images and the index. */
async function writeTwoPlatformLayout(dir: string, tag = 'v1') {
  const store = await openLayout(dir, { create: true });
  const images = [await buildImage('amd64'), await buildImage('arm64', { variant: 'v8' })];
  for (const img of images) await pushImage(store, img);
  const index = buildIndex(images);
  const put = await store.putManifest(index.bytes, OCI_INDEX, { tag });
  return { store, images, index, put };
}

describe('OCI layout: written by archfit, read by skopeo', () => {
  test('a two-platform index round-trips byte for byte through skopeo inspect and copy', async () => {
    const dir = join(makeTempDir('layout'), 'out');
    const { images, index, put } = await writeTwoPlatformLayout(dir);
    assert.deepEqual(put, index.descriptor);

    assert.equal(readFileSync(join(dir, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
    const indexJson = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    assert.deepEqual(indexJson.manifests, [
      { ...index.descriptor, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
    ]);
    assert.equal(indexJson.manifests[0].platform, undefined, 'an index entry carries no platform');

    const raw = await skopeo(['inspect', '--raw', `oci:${dir}:v1`]);
    assert.ok(raw.stdout.equals(index.bytes), 'skopeo reads the exact index bytes');

    const out = join(makeTempDir('layout'), 'dir-copy');
    await skopeo(['copy', '-q', '--all', `oci:${dir}:v1`, `dir:${out}`]);
    assert.ok(readFileSync(join(out, 'manifest.json')).equals(index.bytes));
    for (const img of images) {
      const hex = img.manifest.descriptor.digest.slice(7);
      assert.ok(readFileSync(join(out, `${hex}.manifest.json`)).equals(img.manifest.bytes));
      for (const b of [img.config, ...img.layers]) {
        assert.ok(readFileSync(join(out, b.descriptor.digest.slice(7))).equals(b.bytes), b.descriptor.digest);
      }
    }
  });

  test('what we wrote reads back through our store, verified', async () => {
    const dir = join(makeTempDir('layout'), 'out');
    const { images, index } = await writeTwoPlatformLayout(dir);
    const store = await openLayout(dir);
    const got = await store.getManifest('v1');
    assert.equal(got.parsed.kind, 'index');
    assert.ok(Buffer.from(got.bytes).equals(index.bytes));
    const child = images[1] as BuiltImage;
    const fetched = await store.getManifest(child.manifest.descriptor.digest);
    assert.equal(fetched.descriptor.mediaType, OCI_MANIFEST);
    const layer = child.layers[0]!;
    assert.ok((await readAll(await store.openBlob(layer.descriptor))).equals(layer.bytes));
  });
});

describe('OCI layout: written by skopeo, read by archfit', () => {
  test('skopeo copy of the multi-arch fixture reads with the same digests and verified blobs', async () => {
    const fx = (await loadFixtures()).multiArch;
    const dir = join(makeTempDir('layout'), 'skopeo-out');
    await skopeoCopy(fx.ociRef, `oci:${dir}:copied`);
    const store = await openLayout(dir);
    assert.deepEqual(await store.listTags(), ['copied']);
    const top = await store.resolve('copied');
    assert.equal(top.digest, fx.root.digest);
    const fetched = await store.getManifest('copied');
    assert.ok(Buffer.from(fetched.bytes).equals(fx.rootBytes));
    for (const child of fx.children) {
      const m = await store.getManifest(child.digest, { expected: child as Descriptor });
      assert.equal(m.descriptor.digest, child.digest);
    }
    for (const b of fx.blobs) {
      const bytes = await readAll(await store.openBlob(b as Descriptor));
      assert.equal(sha256Digest(bytes), b.digest);
    }
  });

  test('skopeo copy from a dir: image into a layout reads the same manifest bytes', async () => {
    const img = await buildImage('s390x');
    const src = join(makeTempDir('layout'), 'dir-src');
    mkdirSync(src);
    writeFileSync(join(src, 'version'), 'Directory Transport Version: 1.1\n');
    writeFileSync(join(src, 'manifest.json'), img.manifest.bytes);
    for (const b of [img.config, ...img.layers]) writeFileSync(join(src, b.descriptor.digest.slice(7)), b.bytes);
    const dir = join(makeTempDir('layout'), 'oci');
    await skopeo(['copy', '-q', `dir:${src}`, `oci:${dir}:t1`]);
    const store = await openLayout(dir);
    const got = await store.getManifest('t1');
    assert.equal(got.descriptor.digest, img.manifest.descriptor.digest);
    assert.ok(Buffer.from(got.bytes).equals(img.manifest.bytes));
    // `oci:DIR` without a tag: the only entry, as skopeo resolves it
    assert.equal((await store.resolve('')).digest, img.manifest.descriptor.digest);
  });

  test('the fixture layouts of the harness read with their recorded digests', async () => {
    const fixtures = await loadFixtures();
    for (const fx of [fixtures.multiArch, fixtures.arm64OnlyDocker, fixtures.zstdLayer]) {
      const store = await openLayout(fx.dir);
      const got = await store.getManifest(fx.tag);
      assert.equal(got.descriptor.digest, fx.root.digest, fx.name);
      assert.equal(got.parsed.mediaType, fx.root.mediaType, fx.name);
    }
  });
});

describe('OCI layout: tags', () => {
  test('two tags, retag, missing tag, default reference', async () => {
    const dir = join(makeTempDir('layout'), 'tags');
    const store = await openLayout(dir, { create: true });
    const a = await buildImage('amd64');
    const b = await buildImage('arm64');
    const da = await pushImage(store, a, 'v1');
    const db = await pushImage(store, b, 'v2');
    assert.deepEqual(await store.listTags(), ['v1', 'v2']);
    assert.equal((await store.resolve('v1')).digest, da.digest);
    assert.equal((await store.resolve('v2')).digest, db.digest);
    await rejectsWith(store.resolve(''), 'INVALID_REFERENCE', /holds 2 images.*v1, v2/);

    // retag: v2 moves to A; B's entry had only the tag, so it leaves index.json (its blobs stay)
    await store.tag(da, 'v2');
    assert.equal((await store.resolve('v2')).digest, da.digest);
    assert.equal((await store.resolve('v1')).digest, da.digest);
    const entries = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests;
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e: Descriptor) => e.digest === da.digest));
    assert.ok(await store.hasManifest(db));
    const raw = await skopeo(['inspect', '--raw', `oci:${dir}:v2`]);
    assert.ok(raw.stdout.equals(a.manifest.bytes), 'skopeo sees the retag');

    // putManifest with an existing tag moves it too
    await store.putManifest(b.manifest.bytes, OCI_MANIFEST, { tag: 'v1' });
    assert.equal((await store.resolve('v1')).digest, db.digest);

    const error = await rejectsWith(store.resolve('nope'), 'MANIFEST_UNKNOWN', /no manifest tagged "nope"/);
    assert.match(error.message, /tags: v2, v1|tags: v1, v2/);
    await rejectsWith(store.putManifest(a.manifest.bytes, OCI_MANIFEST, { tag: 'bad tag' }), 'INVALID_REFERENCE');
    await rejectsWith(store.resolve('sha256:abc'), 'INVALID_DIGEST');

    assert.ok(await store.untag('v1'));
    assert.equal(await store.untag('v1'), false);
    assert.deepEqual(await store.listTags(), ['v2']);
    assert.equal((await store.resolve('')).digest, da.digest, 'a single entry is the default');

    // a digest that index.json does not list resolves from the blob, media type read from the manifest
    const byDigest = await store.resolve(db.digest);
    assert.deepEqual(byDigest, { mediaType: OCI_MANIFEST, digest: db.digest, size: db.size });
    await rejectsWith(store.resolve(`sha256:${'0'.repeat(64)}`), 'MANIFEST_UNKNOWN');
  });

  test('an untagged entry, and concurrent tagged writes on one instance all land', async () => {
    const dir = join(makeTempDir('layout'), 'concurrent');
    const store = await openLayout(dir, { create: true });
    const images = await Promise.all(Array.from({ length: 12 }, (_, i) => buildImage(`arch${i}`, { layers: 1 })));
    await Promise.all(images.map((img, i) => pushImage(store, img, `t${i}`)));
    const tags = await store.listTags();
    assert.equal(tags.length, 12);
    for (const [i, img] of images.entries()) {
      assert.equal((await store.resolve(`t${i}`)).digest, img.manifest.descriptor.digest);
    }
    const extra = await buildImage('riscv64');
    const put = await pushImage(store, extra);
    await store.addUntagged(put);
    await store.addUntagged(put);
    const entries = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests as Descriptor[];
    assert.equal(entries.filter((e) => e.digest === put.digest).length, 1);
  });

  test('a blob pushed twice at once is written once; a present blob is not read again', async () => {
    const dir = join(makeTempDir('layout'), 'dedupe');
    const store = await openLayout(dir, { create: true });
    const bytes = Buffer.alloc(256 * 1024, 7);
    const descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest(bytes), size: bytes.length };
    let opened = 0;
    const source = async () => {
      opened += 1;
      return Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    };
    await Promise.all([
      store.pushBlob(descriptor as Descriptor, source),
      store.pushBlob(descriptor as Descriptor, source),
    ]);
    assert.equal(opened, 1);
    await store.pushBlob(descriptor as Descriptor, source);
    assert.equal(opened, 1);
    assert.ok(readFileSync(blobFile(dir, descriptor.digest)).equals(bytes));
  });

  test('a push whose bytes do not match leaves nothing behind', async () => {
    const dir = join(makeTempDir('layout'), 'badpush');
    const store = await openLayout(dir, { create: true });
    const bytes = Buffer.from('hello');
    const descriptor = { mediaType: 'x', digest: sha256Digest('other'), size: 5 } as Descriptor;
    await rejectsWith(store.pushBlob(descriptor, sourceOf(bytes)), 'DIGEST_MISMATCH');
    await rejectsWith(
      store.pushBlob({ ...descriptor, digest: sha256Digest(bytes) as Descriptor['digest'], size: 4 }, sourceOf(bytes)),
      'SIZE_MISMATCH',
    );
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')), []);
  });

  test('an aborted push and an aborted read report ABORTED and leave no blob', async () => {
    const dir = join(makeTempDir('layout'), 'abort');
    const store = await openLayout(dir, { create: true });
    const bytes = Buffer.alloc(1024 * 1024, 1);
    const descriptor = { mediaType: 'x', digest: sha256Digest(bytes), size: bytes.length } as Descriptor;
    const controller = new AbortController();
    const slow = async () =>
      Readable.from(
        (async function* () {
          yield bytes.subarray(0, 1000);
          controller.abort();
          await new Promise((r) => setTimeout(r, 20));
          yield bytes.subarray(1000);
        })(),
      );
    await rejectsWith(store.pushBlob(descriptor, slow, { signal: controller.signal }), 'ABORTED');
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')), []);
    await store.pushBlob(descriptor, sourceOf(bytes));
    await rejectsWith(store.openBlob(descriptor, { signal: AbortSignal.abort() }), 'ABORTED');
  });
});

describe('OCI layout: hostile and damaged content', () => {
  test('a tampered layer or manifest fails with DIGEST_MISMATCH on read', async () => {
    const dir = join(makeTempDir('layout'), 'tamper');
    const { images } = await writeTwoPlatformLayout(dir);
    const img = images[0] as BuiltImage;
    const layer = img.layers[0]!;
    flipByte(blobFile(dir, layer.descriptor.digest));
    const store = await openLayout(dir);
    await rejectsWith(readAll(await store.openBlob(layer.descriptor)), 'DIGEST_MISMATCH');
    flipByte(blobFile(dir, img.manifest.descriptor.digest));
    await rejectsWith(store.getManifest(img.manifest.descriptor.digest), 'DIGEST_MISMATCH');
    // a blob whose size changed is not "present" (a push replaces it), and reading it fails at once
    writeFileSync(blobFile(dir, img.config.descriptor.digest), 'short');
    assert.equal(await store.hasBlob(img.config.descriptor), false);
    await rejectsWith(store.openBlob(img.config.descriptor), 'SIZE_MISMATCH');
    await store.pushBlob(img.config.descriptor, sourceOf(img.config.bytes));
    assert.ok((await readAll(await store.openBlob(img.config.descriptor))).equals(img.config.bytes));
  });

  test('an index.json naming sha256:../../etc/passwd is refused, and so is such a descriptor', async () => {
    const dir = join(makeTempDir('layout'), 'crafted');
    const { store } = await writeTwoPlatformLayout(dir);
    const crafted = {
      schemaVersion: 2,
      manifests: [{ mediaType: OCI_MANIFEST, digest: 'sha256:../../etc/passwd', size: 10 }],
    };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(crafted));
    await rejectsWith(openLayout(dir), 'LAYOUT_INVALID', /sha256:\.\.\/\.\.\/etc\/passwd/);
    await rejectsWith(store.resolve('v1'), 'LAYOUT_INVALID');
    const hostile = { mediaType: OCI_MANIFEST, digest: 'sha256:../../etc/passwd', size: 10 } as unknown as Descriptor;
    await rejectsWith(store.openBlob(hostile), 'INVALID_DIGEST');
    await rejectsWith(store.hasBlob(hostile), 'INVALID_DIGEST');
    await rejectsWith(store.pushBlob(hostile, sourceOf(Buffer.from('x'))), 'INVALID_DIGEST');
    await rejectsWith(store.getManifest('', { expected: hostile }), 'INVALID_DIGEST');
  });

  test('a manifest whose blobs are missing is refused and leaves index.json alone', async () => {
    const dir = join(makeTempDir('layout'), 'missing');
    const store = await openLayout(dir, { create: true });
    const img = await buildImage('amd64');
    await store.pushBlob(img.config.descriptor, sourceOf(img.config.bytes));
    const before = readFileSync(join(dir, 'index.json'));
    await rejectsWith(store.putManifest(img.manifest.bytes, OCI_MANIFEST, { tag: 'x' }), 'BLOB_UNKNOWN');
    assert.ok(readFileSync(join(dir, 'index.json')).equals(before));
    const index = buildIndex([img]);
    await rejectsWith(store.putManifest(index.bytes, OCI_INDEX, { tag: 'x' }), 'MANIFEST_UNKNOWN');
    // a media type that disagrees with the body (CVE-2021-41190) is refused
    for (const l of img.layers) await store.pushBlob(l.descriptor, sourceOf(l.bytes));
    await rejectsWith(store.putManifest(img.manifest.bytes, OCI_INDEX), 'MANIFEST_INVALID');
  });

  test('not a layout, a non-empty directory, a missing directory', async () => {
    const base = makeTempDir('layout');
    await rejectsWith(openLayout(join(base, 'nothing')), 'NOT_FOUND');
    writeFileSync(join(base, 'file'), 'x');
    await rejectsWith(openLayout(base), 'LAYOUT_INVALID', /not an OCI image layout/);
    await rejectsWith(openLayout(base, { create: true }), 'LAYOUT_INVALID', /not empty/);
    await rejectsWith(openLayout(join(base, 'file')), 'LAYOUT_INVALID', /not a directory/);
    const v2 = join(base, 'v2');
    mkdirSync(v2);
    writeFileSync(join(v2, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    writeFileSync(join(v2, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    await rejectsWith(openLayout(v2), 'LAYOUT_INVALID', /imageLayoutVersion "2.0.0"/);
    const empty = join(base, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    writeFileSync(join(empty, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    await rejectsWith((await openLayout(empty)).resolve(''), 'MANIFEST_UNKNOWN');
  });
});

describe('OCI layout: crash safety', () => {
  test('blobs written but index.json not: the old index.json is intact and still works', async () => {
    const dir = join(makeTempDir('layout'), 'crash');
    const { index } = await writeTwoPlatformLayout(dir);
    const before = readFileSync(join(dir, 'index.json'));
    // The state a writer killed before its index.json rename leaves: new blobs and manifest, a partial temp file.
    const store = await openLayout(dir);
    const next = await buildImage('ppc64le');
    const put = await pushImage(store, next);
    writeFileSync(join(dir, '.0f3c5a2e-crash.tmp'), before.subarray(0, 20));
    assert.ok(readFileSync(join(dir, 'index.json')).equals(before));

    const reopened = await openLayout(dir);
    assert.equal((await reopened.resolve('v1')).digest, index.descriptor.digest);
    await rejectsWith(reopened.resolve('v2'), 'MANIFEST_UNKNOWN');
    assert.ok((await skopeo(['inspect', '--raw', `oci:${dir}:v1`])).stdout.equals(index.bytes));

    // index.json is replaced by rename, never rewritten in place: a hard link to the old file keeps the old bytes
    const saved = join(dir, '..', 'index.json.before');
    linkSync(join(dir, 'index.json'), saved);
    await reopened.tag(put, 'v2');
    assert.ok(readFileSync(saved).equals(before));
    assert.notEqual(statSync(saved).ino, statSync(join(dir, 'index.json')).ino);
    assert.equal((await reopened.resolve('v2')).digest, put.digest);
  });

  test('a writer killed at a random moment leaves a layout whose every tag is complete', async () => {
    const dir = join(makeTempDir('layout'), 'killed');
    await openLayout(dir, { create: true });
    const script = join(makeTempDir('layout'), 'writer.mts');
    const layoutModule = pathToFileURL(join(repoRoot, 'src', 'layout', 'index.ts')).href;
    writeFileSync(
      script,
      [
        `import { createHash, randomBytes } from 'node:crypto';`,
        `import { Readable } from 'node:stream';`,
        `const { openLayout } = await import(${JSON.stringify(layoutModule)});`,
        `const store = await openLayout(process.argv[2]);`,
        `const sha = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');`,
        `for (let i = 0; ; i++) {`,
        `  const layer = randomBytes(512 * 1024);`,
        `  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));`,
        `  const cd = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length };`,
        `  const ld = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length };`,
        `  await store.pushBlob(cd, async () => Readable.from([config]));`,
        `  await store.pushBlob(ld, async () => Readable.from([layer.subarray(0, 100000), layer.subarray(100000)]));`,
        `  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: cd, layers: [ld] }));`,
        `  await store.putManifest(m, 'application/vnd.oci.image.manifest.v1+json', { tag: 't' + i });`,
        `}`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { cwd: repoRoot, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Let it write a few images, then kill it without warning at whatever point it has reached.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      const text = readFileSync(join(dir, 'index.json'), 'utf8');
      if ((JSON.parse(text).manifests as unknown[]).length >= 3) break;
    }
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
    child.kill('SIGKILL');
    await exited;

    const store = await openLayout(dir);
    const tags = await store.listTags();
    assert.ok(tags.length >= 3, `tags written before the kill: ${tags.length}`);
    for (const tag of tags) {
      const m = await store.getManifest(tag);
      assert.equal(m.parsed.kind, 'image');
      if (m.parsed.kind !== 'image') continue;
      for (const d of [m.parsed.manifest.config, ...m.parsed.manifest.layers]) {
        assert.equal(sha256Digest(await readAll(await store.openBlob(d))), d.digest);
      }
    }
    // every file under a digest name is complete; only temp files may be partial
    for (const name of readdirSync(join(dir, 'blobs', 'sha256'))) {
      if (name.endsWith('.tmp')) continue;
      assert.equal(sha256Digest(readFileSync(join(dir, 'blobs', 'sha256', name))).slice(7), name);
    }
  });
});

describe('docker-archive: legacy form', () => {
  async function legacyArchive(options: Parameters<typeof writeLegacyArchive>[2] = {}) {
    const image = await buildImage('amd64', { gzip: false, layers: 3 });
    const file = join(makeTempDir('archive'), 'legacy.tar');
    await writeLegacyArchive(file, [{ image, repoTags: ['example/app:1.0'] }], options);
    return { image, file };
  }

  test('a synthesised Docker schema 2 manifest whose layers verify against the diff_ids', async () => {
    const { image, file } = await legacyArchive();
    const store = await openDockerArchive(file);
    assert.equal(store.writable, false);
    assert.deepEqual(await store.listTags(), ['example/app:1.0']);
    const byName = await store.resolve('example/app:1.0');
    assert.deepEqual(await store.resolve('docker.io/example/app:1.0'), byName);
    assert.deepEqual(await store.resolve(''), byName);
    assert.deepEqual(await store.resolve('@0'), byName);
    assert.deepEqual(await store.resolve(byName.digest), byName);
    await rejectsWith(store.resolve('example/app:2.0'), 'MANIFEST_UNKNOWN', /example\/app:1\.0/);

    const got = await store.getManifest('example/app:1.0');
    assert.equal(got.descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(sha256Digest(Buffer.from(got.bytes)), byName.digest);
    assert.equal(got.parsed.kind, 'image');
    if (got.parsed.kind !== 'image') return;
    const { config, layers } = got.parsed.manifest;
    assert.deepEqual(config, {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: image.config.bytes.length,
      digest: image.config.descriptor.digest,
    });
    assert.deepEqual(
      layers.map((l) => [l.mediaType, l.digest, l.size]),
      image.layers.map((l) => [DOCKER_LAYER_TAR_MEDIA_TYPE, l.diffId, l.tar.length]),
    );
    assert.ok((await readAll(await store.openBlob(config))).equals(image.config.bytes));
    for (const [i, l] of layers.entries()) {
      assert.ok((await readAll(await store.openBlob(l))).equals(image.layers[i]!.tar));
      assert.ok(await store.hasBlob(l));
    }
    await rejectsWith(store.putManifest(), 'INVALID_ARGUMENT', /read-only/);
    await rejectsWith(store.pushBlob(), 'INVALID_ARGUMENT', /read-only/);
  });

  test('symlinked duplicate layers (as docker save links them) are followed', async () => {
    const image = await buildImage('arm64', { gzip: false, layers: 1 });
    // Two layers of identical content: docker stores the second as a link to the first.
    const twice: BuiltImage = {
      ...image,
      layers: [image.layers[0]!, image.layers[0]!],
      config: {
        ...image.config,
        bytes: Buffer.from(
          JSON.stringify({
            architecture: 'arm64',
            os: 'linux',
            rootfs: { type: 'layers', diff_ids: [image.layers[0]!.diffId, image.layers[0]!.diffId] },
          }),
        ),
      },
    };
    twice.config.descriptor = {
      ...twice.config.descriptor,
      digest: sha256Digest(twice.config.bytes) as Descriptor['digest'],
      size: twice.config.bytes.length,
    };
    const file = join(makeTempDir('archive'), 'linked.tar');
    await writeLegacyArchive(file, [{ image: twice, repoTags: ['linked:latest'] }], { symlinkDuplicates: true });
    const store = await openDockerArchive(file);
    const got = await store.getManifest('linked');
    assert.equal(got.parsed.kind, 'image');
    if (got.parsed.kind !== 'image') return;
    for (const l of got.parsed.manifest.layers) {
      assert.ok((await readAll(await store.openBlob(l))).equals(image.layers[0]!.tar));
    }
  });

  test('hard links resolve to the earlier entry; links that go nowhere are invalid', async () => {
    const image = await buildImage('386', { gzip: false, layers: 1 });
    const layer = image.layers[0]!;
    const config = image.config;
    const file = join(makeTempDir('archive'), 'hardlink.tar');
    const items = [{ Config: 'c.json', RepoTags: ['h:1'], Layers: ['b/layer.tar'] }];
    writeFileSync(
      file,
      await makeTar([
        { type: 'file', path: 'a/layer.tar', content: layer.tar },
        { type: 'hardlink', path: 'b/layer.tar', target: 'a/layer.tar' },
        { type: 'symlink', path: 'c.json', target: 'configs/../configs/real.json' },
        { type: 'file', path: 'configs/real.json', content: config.bytes },
        { type: 'symlink', path: 'loop1', target: 'loop2' },
        { type: 'symlink', path: 'loop2', target: 'loop1' },
        { type: 'hardlink', path: 'dangling', target: 'later' },
        { type: 'file', path: 'later', content: 'x' },
        { type: 'file', path: 'manifest.json', content: JSON.stringify(items) },
      ]),
    );
    const store = await openDockerArchive(file);
    const got = await store.getManifest('h:1');
    if (got.parsed.kind !== 'image') assert.fail('expected an image');
    assert.ok((await readAll(await store.openBlob(got.parsed.manifest.layers[0]!))).equals(layer.tar));

    for (const [path, pattern] of [
      ['loop1', /too many symbolic links/],
      ['dangling', /hard link/],
    ] as const) {
      const bad = join(makeTempDir('archive'), 'bad.tar');
      const edited = [{ Config: 'c.json', RepoTags: ['h:1'], Layers: [path] }];
      writeFileSync(
        bad,
        await makeTar([
          { type: 'file', path: 'configs/real.json', content: config.bytes },
          { type: 'symlink', path: 'c.json', target: '/configs/real.json' },
          { type: 'symlink', path: 'loop1', target: 'loop2' },
          { type: 'symlink', path: 'loop2', target: './loop1' },
          { type: 'hardlink', path: 'dangling', target: 'later' },
          { type: 'file', path: 'later', content: 'x' },
          { type: 'file', path: 'manifest.json', content: JSON.stringify(edited) },
        ]),
      );
      const s = await openDockerArchive(bad);
      await rejectsWith(s.getManifest(''), 'ARCHIVE_INVALID', pattern);
    }
  });

  test('a tampered layer fails DIGEST_MISMATCH against its diff_id', async () => {
    const { image, file } = await legacyArchive({
      tamperLayer: (tar) => {
        const copy = Buffer.from(tar);
        copy[600] = (copy[600] as number) ^ 0x01;
        return copy;
      },
    });
    const store = await openDockerArchive(file);
    const got = await store.getManifest('');
    if (got.parsed.kind !== 'image') assert.fail('expected an image');
    await rejectsWith(readAll(await store.openBlob(got.parsed.manifest.layers[0]!)), 'DIGEST_MISMATCH');
    assert.equal(got.parsed.manifest.layers[0]!.digest, image.layers[0]!.diffId);
  });

  test('missing entries, traversal, wrong counts, compression and junk are ARCHIVE_INVALID', async () => {
    const missing = await legacyArchive({
      editManifest: (items) => {
        (items[0]!.Layers as string[])[2] = 'nope/layer.tar';
      },
    });
    await rejectsWith((await openDockerArchive(missing.file)).getManifest(''), 'ARCHIVE_INVALID', /"nope\/layer.tar"/);

    const counts = await legacyArchive({ editManifest: (items) => (items[0]!.Layers as string[]).pop() });
    await rejectsWith((await openDockerArchive(counts.file)).getManifest(''), 'ARCHIVE_INVALID', /diff_ids/);

    const escaping = await legacyArchive({
      editManifest: (items) => ((items[0]!.Layers as string[])[0] = '../../etc/passwd'),
    });
    await rejectsWith(
      (await openDockerArchive(escaping.file)).getManifest(''),
      'ARCHIVE_INVALID',
      /outside the archive/,
    );

    const traversal = await legacyArchive({ extra: [{ type: 'file', path: '../evil', content: 'x' }] });
    await rejectsWith(openDockerArchive(traversal.file), 'ARCHIVE_INVALID', /outside the archive/);

    const caseVariant = await legacyArchive({ editManifest: (items) => (items[0]!.layers = []) });
    await rejectsWith(openDockerArchive(caseVariant.file), 'ARCHIVE_INVALID', /only by case/);

    const gz = join(makeTempDir('archive'), 'image.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(missing.file)));
    await rejectsWith(openDockerArchive(gz), 'ARCHIVE_INVALID', /gzip-compressed/);

    const junk = join(makeTempDir('archive'), 'junk.tar');
    writeFileSync(junk, Buffer.alloc(4096, 0x41));
    await rejectsWith(openDockerArchive(junk), 'ARCHIVE_INVALID', /checksum/);

    const truncated = join(makeTempDir('archive'), 'truncated.tar');
    writeFileSync(truncated, readFileSync(missing.file).subarray(0, 1500));
    await rejectsWith(openDockerArchive(truncated), 'ARCHIVE_INVALID', /truncated/);

    const none = join(makeTempDir('archive'), 'none.tar');
    writeFileSync(none, await makeTar([{ type: 'file', path: 'hello', content: 'x' }]));
    await rejectsWith(openDockerArchive(none), 'ARCHIVE_INVALID', /not a docker-save archive/);

    await rejectsWith(openDockerArchive(join(makeTempDir('archive'), 'absent.tar')), 'NOT_FOUND');
  });

  test('gzip layers (as crane writes them) get the digest of the compressed bytes, checked against the diff_id', async () => {
    const image = await buildImage('amd64', { gzip: true, layers: 2 });
    const file = join(makeTempDir('archive'), 'gzip.tar');
    await writeLegacyArchive(file, [{ image, repoTags: ['gz:1'] }], { compressedLayers: true });
    const store = await openDockerArchive(file);
    const got = await store.getManifest('gz:1');
    if (got.parsed.kind !== 'image') assert.fail('expected an image');
    assert.deepEqual(
      got.parsed.manifest.layers.map((l) => [l.mediaType, l.digest]),
      image.layers.map((l) => ['application/vnd.docker.image.rootfs.diff.tar.gzip', l.descriptor.digest]),
    );
    for (const [i, l] of got.parsed.manifest.layers.entries()) {
      assert.ok((await readAll(await store.openBlob(l))).equals(image.layers[i]!.bytes));
    }
    // a gzip layer whose content is not its diff_id
    const other = await buildImage('arm64', { gzip: true, layers: 2 });
    const swapped = join(makeTempDir('archive'), 'swapped.tar');
    await writeLegacyArchive(
      swapped,
      [{ image: { ...image, layers: [other.layers[0]!, image.layers[1]!] }, repoTags: ['gz:1'] }],
      {
        compressedLayers: true,
      },
    );
    await rejectsWith((await openDockerArchive(swapped)).getManifest('gz:1'), 'DIGEST_MISMATCH', /diff_id/);
  });

  for (const format of ['gnu', 'posix', 'ustar'] as const) {
    test(`an archive made by GNU tar --format=${format}: long names, hard links, symlinks`, async () => {
      const image = await buildImage('s390x', { gzip: false, layers: 2 });
      const root = join(makeTempDir('archive'), 'tree');
      // 99 + 1 + 9 characters: too long for a plain ustar name, so each format stores it its own way
      const longDir = `${'d'.repeat(60)}/${'e'.repeat(38)}`;
      mkdirSync(join(root, longDir), { recursive: true });
      mkdirSync(join(root, 'second'));
      writeFileSync(join(root, longDir, 'layer.tar'), image.layers[0]!.tar);
      writeFileSync(join(root, 'second', 'real.tar'), image.layers[1]!.tar);
      linkSync(join(root, 'second', 'real.tar'), join(root, 'second', 'layer.tar'));
      writeFileSync(join(root, 'config.json'), image.config.bytes);
      symlinkSync('config.json', join(root, 'cfg'));
      const items = [{ Config: 'cfg', RepoTags: ['gnu:tar'], Layers: [`${longDir}/layer.tar`, 'second/layer.tar'] }];
      writeFileSync(join(root, 'manifest.json'), JSON.stringify(items));
      const file = join(makeTempDir('archive'), `${format}.tar`);
      const tarArgs = [`--format=${format}`, '-cf', file, '-C', root, '.'];
      if (format === 'ustar') tarArgs.splice(1, 0, '--transform', 's,^\\./,,');
      const made = spawnSync('tar', tarArgs);
      assert.equal(made.status, 0, made.stderr.toString());
      const store = await openDockerArchive(file);
      const got = await store.getManifest('gnu:tar');
      if (got.parsed.kind !== 'image') assert.fail('expected an image');
      assert.equal(got.parsed.manifest.config.digest, image.config.descriptor.digest);
      for (const [i, l] of got.parsed.manifest.layers.entries()) {
        assert.ok((await readAll(await store.openBlob(l))).equals(image.layers[i]!.tar), `layer ${i}`);
      }
    });
  }

  test('an oversized manifest.json or config is refused without being read whole', async () => {
    const big = ' '.repeat(4 * 1024 * 1024);
    const image = await buildImage('amd64', { gzip: false, layers: 1 });
    const file = join(makeTempDir('archive'), 'big.tar');
    writeFileSync(file, await makeTar([{ type: 'file', path: 'manifest.json', content: `[]${big}` }]));
    await rejectsWith(openDockerArchive(file), 'SIZE_LIMIT', /manifest\.json/);
    const items = [{ Config: 'c.json', RepoTags: ['big:1'], Layers: ['l.tar'] }];
    writeFileSync(
      file,
      await makeTar([
        { type: 'file', path: 'c.json', content: Buffer.concat([image.config.bytes, Buffer.from(big)]) },
        { type: 'file', path: 'l.tar', content: image.layers[0]!.tar },
        { type: 'file', path: 'manifest.json', content: JSON.stringify(items) },
      ]),
    );
    await rejectsWith((await openDockerArchive(file)).getManifest(''), 'SIZE_LIMIT', /c\.json/);
  });

  test('duplicate entries: the last one wins', async () => {
    const image = await buildImage('amd64', { gzip: false, layers: 1 });
    const file = join(makeTempDir('archive'), 'dup.tar');
    const items = [{ Config: 'c.json', RepoTags: ['d:1'], Layers: ['l.tar'] }];
    writeFileSync(
      file,
      await makeTar([
        { type: 'file', path: 'l.tar', content: 'not the layer' },
        { type: 'file', path: 'c.json', content: image.config.bytes },
        { type: 'file', path: './l.tar', content: image.layers[0]!.tar },
        { type: 'file', path: 'manifest.json', content: '[]' },
        { type: 'file', path: 'manifest.json', content: JSON.stringify(items) },
      ]),
    );
    const store = await openDockerArchive(file);
    const got = await store.getManifest('d:1');
    if (got.parsed.kind !== 'image') assert.fail('expected an image');
    assert.ok((await readAll(await store.openBlob(got.parsed.manifest.layers[0]!))).equals(image.layers[0]!.tar));
  });

  test('two images: a name selects one, no name is ambiguous', async () => {
    const a = await buildImage('amd64', { gzip: false, layers: 1 });
    const b = await buildImage('arm64', { gzip: false, layers: 1 });
    const file = join(makeTempDir('archive'), 'two.tar');
    await writeLegacyArchive(file, [
      { image: a, repoTags: ['busybox:latest', 'localhost:5000/busybox:a'] },
      { image: b, repoTags: ['busybox:arm'] },
    ]);
    const store = await openDockerArchive(file);
    assert.deepEqual(await store.listTags(), ['busybox:latest', 'localhost:5000/busybox:a', 'busybox:arm']);
    await rejectsWith(store.resolve(''), 'INVALID_REFERENCE', /holds 2 images/);
    const latest = await store.getManifest('docker.io/library/busybox');
    const arm = await store.getManifest('busybox:arm');
    assert.notEqual(latest.descriptor.digest, arm.descriptor.digest);
    assert.equal((await store.resolve('localhost:5000/busybox:a')).digest, latest.descriptor.digest);
    assert.equal((await store.resolve('@1')).digest, arm.descriptor.digest);
    await rejectsWith(store.resolve('@2'), 'MANIFEST_UNKNOWN');
  });
});

describe('docker-archive: OCI form (docker 25+)', () => {
  test('the OCI index is preferred; an untagged image is synthesised', async () => {
    const tagged = await buildUncompressedImage('amd64');
    const untagged = await buildUncompressedImage('arm64');
    const file = join(makeTempDir('archive'), 'oci-form.tar');
    await writeOciArchive(file, [{ image: tagged, name: 'docker.io/library/busybox:latest' }], [untagged]);
    const store = await openDockerArchive(file);
    assert.deepEqual(await store.listTags(), ['busybox:latest']);
    const top = await store.resolve('busybox:latest');
    assert.equal(top.digest, tagged.manifest.descriptor.digest, 'digest as the registry had it');
    assert.equal((await store.resolve('latest')).digest, top.digest, 'the ref.name annotation also selects it');
    assert.equal((await store.resolve('@0')).digest, top.digest);
    const got = await store.getManifest('busybox');
    assert.ok(Buffer.from(got.bytes).equals(tagged.manifest.bytes));
    for (const b of [tagged.config, ...tagged.layers]) {
      assert.ok((await readAll(await store.openBlob(b.descriptor))).equals(b.bytes));
    }

    const other = await store.getManifest('@1');
    assert.equal(other.descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    if (other.parsed.kind !== 'image') assert.fail('expected an image');
    assert.equal(other.parsed.manifest.config.digest, untagged.config.descriptor.digest);
    for (const [i, l] of other.parsed.manifest.layers.entries()) {
      assert.equal(l.digest, untagged.layers[i]!.diffId);
      assert.ok((await readAll(await store.openBlob(l))).equals(untagged.layers[i]!.tar));
    }
  });

  test('a tampered OCI blob in the archive fails on read', async () => {
    const image = await buildUncompressedImage('amd64');
    const file = join(makeTempDir('archive'), 'oci-tamper.tar');
    const layer = image.layers[1]!;
    const evil = {
      ...image,
      layers: [image.layers[0]!, { ...layer, bytes: Buffer.from(layer.bytes).fill(0x20, 600, 610) }],
    };
    await writeOciArchive(file, [{ image: evil, name: 'docker.io/library/app:1' }]);
    const store = await openDockerArchive(file);
    await rejectsWith(readAll(await store.openBlob(layer.descriptor)), 'DIGEST_MISMATCH');
  });
});

describe('docker-archive: written by skopeo', () => {
  test('skopeo copy oci:… docker-archive:FILE:repo:tag reads and verifies', async () => {
    const fx = (await loadFixtures()).scriptNoShebang;
    const file = join(makeTempDir('archive'), 'skopeo.tar');
    await skopeoCopy(fx.ociRef, `docker-archive:${file}:example.com/team/app:v2`, {
      all: false,
      preserveDigests: false,
    });
    const store = await openDockerArchive(file);
    assert.deepEqual(await store.listTags(), ['example.com/team/app:v2']);
    const got = await store.getManifest('example.com/team/app:v2');
    if (got.parsed.kind !== 'image') assert.fail('expected an image');
    const image = fx.images[0]!;
    assert.equal(got.parsed.manifest.config.digest, image.config.digest, 'the config is carried over unchanged');
    assert.deepEqual(
      got.parsed.manifest.layers.map((l) => l.digest),
      image.layers.map((l) => l.diffId),
    );
    for (const d of [got.parsed.manifest.config, ...got.parsed.manifest.layers]) {
      assert.equal(sha256Digest(await readAll(await store.openBlob(d))), d.digest);
    }
    // skopeo's own reading of the archive agrees on every digest (it labels the layers .tar.gzip; we say .tar)
    const theirs = JSON.parse((await skopeo(['inspect', '--raw', `docker-archive:${file}`])).stdout.toString());
    assert.equal(theirs.config.digest, got.parsed.manifest.config.digest);
    assert.deepEqual(
      theirs.layers.map((l: Descriptor) => [l.digest, l.size]),
      got.parsed.manifest.layers.map((l) => [l.digest, l.size]),
    );
  });

  test('a multi-platform index copied by skopeo to an archive keeps one platform, and reads', async () => {
    const dir = join(makeTempDir('archive'), 'layout');
    const { images } = await writeTwoPlatformLayout(dir);
    const file = join(makeTempDir('archive'), 'from-ours.tar');
    await skopeoCopy(`oci:${dir}:v1`, `docker-archive:${file}:mine:v1`, {
      all: false,
      preserveDigests: false,
      extraArgs: ['--override-arch', 'arm64', '--override-variant', 'v8'],
    });
    const store = await openDockerArchive(file);
    const got = await store.getManifest('mine:v1');
    if (got.parsed.kind !== 'image') assert.fail('expected an image');
    const arm = images[1] as BuiltImage;
    assert.equal(got.parsed.manifest.config.digest, arm.config.descriptor.digest);
    for (const [i, l] of got.parsed.manifest.layers.entries()) {
      assert.ok((await readAll(await store.openBlob(l))).equals(arm.layers[i]!.tar));
    }
  });
});

describe('parseLocalLocation', () => {
  const existing = new Set(['/data/a:b', '/data/img.tar', '/data/x:y.tar', 'out']);
  const exists = (p: string) => existing.has(p);
  const cases: Array<[string, { kind: string; path: string; reference: string | undefined }]> = [
    ['oci:out', { kind: 'oci', path: 'out', reference: undefined }],
    ['oci:out:v1', { kind: 'oci', path: 'out', reference: 'v1' }],
    ['oci:new/dir:v1.2_x-y', { kind: 'oci', path: 'new/dir', reference: 'v1.2_x-y' }],
    ['oci:/data/a:b', { kind: 'oci', path: '/data/a:b', reference: undefined }],
    ['oci:/data/a:b:latest', { kind: 'oci', path: '/data/a:b', reference: 'latest' }],
    ['oci:/srv/a:b/layout', { kind: 'oci', path: '/srv/a:b/layout', reference: undefined }],
    [`oci:out@sha256:${'a'.repeat(64)}`, { kind: 'oci', path: 'out', reference: `sha256:${'a'.repeat(64)}` }],
    [`oci:out:@sha256:${'b'.repeat(64)}`, { kind: 'oci', path: 'out', reference: `sha256:${'b'.repeat(64)}` }],
    ['docker-archive:/data/img.tar', { kind: 'docker-archive', path: '/data/img.tar', reference: undefined }],
    [
      'docker-archive:/data/img.tar:busybox:latest',
      { kind: 'docker-archive', path: '/data/img.tar', reference: 'busybox:latest' },
    ],
    [
      'docker-archive:/data/img.tar:localhost:5000/app:v1',
      { kind: 'docker-archive', path: '/data/img.tar', reference: 'localhost:5000/app:v1' },
    ],
    ['docker-archive:/data/x:y.tar:app', { kind: 'docker-archive', path: '/data/x:y.tar', reference: 'app' }],
    ['docker-archive:/data/img.tar:@1', { kind: 'docker-archive', path: '/data/img.tar', reference: '@1' }],
    ['docker-archive:new.tar:repo/app:tag', { kind: 'docker-archive', path: 'new.tar', reference: 'repo/app:tag' }],
  ];
  for (const [input, expected] of cases) {
    test(input, () => assert.deepEqual(parseLocalLocation(input, { exists }), expected));
  }
  test('invalid locations', () => {
    for (const input of [
      'oci:',
      'docker-archive:',
      'docker://busybox',
      'docker-archive:/data/img.tar:Bad Name',
      'oci::v1',
    ]) {
      assert.throws(
        () => parseLocalLocation(input, { exists }),
        (e: unknown) => isArchfitError(e, 'INVALID_REFERENCE') && e.message.includes(JSON.stringify(input)),
        input,
      );
    }
  });
});

test('stores describe themselves by location; fsync mode writes the same layout', async () => {
  const dir = join(makeTempDir('layout'), 'described');
  const store = await openLayout(dir, { create: true, fsync: true });
  const img = await buildImage('amd64');
  await pushImage(store, img, 'synced');
  assert.ok((await skopeo(['inspect', '--raw', `oci:${dir}:synced`])).stdout.equals(img.manifest.bytes));
  assert.ok(store instanceof OciLayoutStore);
  assert.equal(store.description, `oci:${dir}`);
  assert.ok(existsSync(join(dir, 'blobs', 'sha256')));
  const file = join(makeTempDir('archive'), 'd.tar');
  await writeLegacyArchive(file, [{ image: await buildImage('amd64', { gzip: false }), repoTags: [] }]);
  const archive = await openDockerArchive(file);
  assert.ok(archive instanceof DockerArchiveStore);
  assert.equal(archive.description, `docker-archive:${file}`);
  assert.deepEqual(await archive.listTags(), []);
  assert.equal((await archive.resolve('')).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.ok(new ArchfitError('IO_ERROR', 'x') instanceof Error);
});
