import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isArchfitError } from '../src/errors.js';
import { type InspectResult, inspect } from '../src/inspect/index.js';
import { RegistryClient, type RequestEvent } from '../src/registry/index.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, jsonOf } from './support/cli.js';
import { type Fixtures, loadFixtures, pushFixture } from './support/fixtures.js';
import { startRegistry, type TestRegistry } from './support/registry.js';

let fx: Fixtures;
let reg: TestRegistry;
const refs: Record<string, string> = {};

after(() => reg?.stop());

before(async () => {
  fx = await loadFixtures();
  reg = await startRegistry();
  for (const name of ['multiArch', 'arm64OnlyDocker', 'singlePlatformBuildx'] as const) {
    refs[name] = (await pushFixture(reg, fx[name])).reference;
  }
});

describe('archfit inspect against a real registry', () => {
  test('the six-platform index: six platforms, two attestations each linked to its image', async () => {
    const run = await archfit(['inspect', refs.multiArch!, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const r = jsonOf<InspectResult>(run);
    assert.equal(r.digest, fx.multiArch.root.digest);
    assert.equal(r.kind, 'index');
    assert.deepEqual(r.platforms, fx.multiArch.platforms);
    assert.equal(r.platforms.length, 6);
    const attestations = r.manifests.filter((m) => m.kind === 'attestation');
    assert.equal(attestations.length, 2);
    for (const a of attestations) {
      assert.equal(a.platform, null);
      const subject = r.manifests.find((m) => m.digest === a.attests);
      assert.ok(subject && subject.kind === 'image', `attestation ${a.digest} links to an image`);
    }
    assert.deepEqual(
      attestations.map((a) => r.manifests.find((m) => m.digest === a.attests)?.platform),
      fx.multiArch.attestations.map((a) => a.subjectPlatform),
    );
    assert.deepEqual(r.warnings, []);
    const human = await archfit(['inspect', refs.multiArch!]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /6 platforms: linux\/amd64, linux\/arm64\/v8/);
    assert.match(human.stdout, /ATTESTATION\s+ATTESTS/);
  });

  test('the arm64-only Docker v2 image: linux/arm64, single-platform', async () => {
    const run = await archfit(['inspect', refs.arm64OnlyDocker!, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const r = jsonOf<InspectResult>(run);
    assert.equal(r.kind, 'image');
    assert.equal(r.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(r.platforms.length, 1);
    assert.match(r.platforms[0]!, /^linux\/arm64/);
    const human = await archfit(['inspect', refs.arm64OnlyDocker!]);
    assert.match(human.stdout, /single-platform: linux\/arm64/);
  });

  test('--platform selects what a host would pull, with containerd matching', async () => {
    const amd = jsonOf<InspectResult>(
      await archfit(['inspect', refs.multiArch!, '--platform', 'linux/amd64', '--json']),
    );
    const amdImage = fx.multiArch.images.find((i) => i.platformString === 'linux/amd64')!;
    assert.equal(amd.selected?.digest, amdImage.manifest.digest);
    assert.equal(amd.selected?.config.architecture, 'amd64');
    assert.equal(amd.selected?.config.layers, amdImage.layers.length);

    const arm = jsonOf<InspectResult>(
      await archfit(['inspect', refs.multiArch!, '--platform', 'linux/arm64', '--json']),
    );
    assert.equal(arm.selected?.platform, 'linux/arm64/v8');

    const v6 = await archfit(['inspect', refs.multiArch!, '--platform', 'linux/arm/v6']);
    assert.equal(v6.code, 1);
    assert.equal(v6.stderr.trim().split('\n').length, 1, v6.stderr);
    assert.match(v6.stderr, /NO_MATCHING_PLATFORM/);
    assert.match(v6.stderr, /linux\/arm\/v7/);
    assert.match(v6.stderr, /linux\/s390x/);
  });

  test('--raw prints the manifest bytes exactly as served; --config the selected config', async () => {
    const raw = await archfit(['inspect', refs.multiArch!, '--raw']);
    assert.equal(raw.stdout, fx.multiArch.rootBytes.toString());
    const cfg = await archfit(['inspect', refs.multiArch!, '--platform', 'linux/s390x', '--config']);
    assert.equal(JSON.parse(cfg.stdout).architecture, 's390x');
  });

  test('one manifest request for an index without --platform (measured)', async () => {
    const events: RequestEvent[] = [];
    const client = new RegistryClient({ onRequest: (e) => events.push(e) });
    try {
      const store = client.repository(reg.host, 'fixtures/multi-arch');
      const r = await inspect(store, 'latest');
      assert.equal(r.platforms.length, 6);
      const manifestRequests = events.filter((e) => e.url.includes('/manifests/'));
      assert.equal(manifestRequests.length, 1, JSON.stringify(events));
      assert.equal(events.filter((e) => e.url.includes('/blobs/')).length, 0);
    } finally {
      await client.close();
    }
  });

  test('--full fetches every child and cross-checks the platforms', async () => {
    const r = jsonOf<InspectResult>(await archfit(['inspect', refs.multiArch!, '--full', '--json']));
    assert.ok(r.size !== null && r.size > 0);
    for (const m of r.manifests.filter((x) => x.kind === 'image')) assert.ok((m.imageSize ?? 0) > 0);
    assert.deepEqual(r.warnings, []);
  });

  test('unknown image: exit 3 with MANIFEST_UNKNOWN in one line; malformed reference: exit 2', async () => {
    const missing = await archfit(['inspect', `${reg.host}/fixtures/multi-arch:nope`]);
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /MANIFEST_UNKNOWN/);
    const bad = await archfit(['inspect', 'Not/A:Valid::ref']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /INVALID_REFERENCE/);
    assert.match(bad.stderr, /"Not\/A:Valid::ref"/);
  });
});

describe('archfit inspect of local stores gives the same answer', () => {
  const strip = (r: InspectResult) => ({ ...r, reference: '' });

  test('OCI layout and docker-archive JSON equal the registry JSON (digests equal)', async () => {
    for (const name of ['multiArch', 'arm64OnlyDocker', 'singlePlatformBuildx'] as const) {
      const fixture = fx[name];
      const fromRegistry = jsonOf<InspectResult>(await archfit(['inspect', refs[name]!, '--json']));
      const fromLayout = jsonOf<InspectResult>(
        await archfit(['inspect', `oci:${fixture.dir}:${fixture.tag}`, '--json']),
      );
      assert.deepEqual(strip(fromLayout), strip(fromRegistry), name);

      // A docker-save archive in the form docker 25+ writes: the OCI layout plus manifest.json.
      const dir = makeTempDir('archive');
      const tarFile = join(dir, 'image.tar');
      const image = fixture.images[0]!;
      writeFileSync(
        join(dir, 'manifest.json'),
        JSON.stringify([
          {
            Config: `blobs/sha256/${image.config.digest.slice(7)}`,
            RepoTags: [`example/${name.toLowerCase()}:${fixture.tag}`],
            Layers: image.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
          },
        ]),
      );
      execFileSync('tar', ['-cf', tarFile, '-C', fixture.dir, '.', '-C', dir, 'manifest.json']);
      const fromArchive = jsonOf<InspectResult>(
        await archfit(['inspect', `docker-archive:${tarFile}:${fixture.tag}`, '--json']),
      );
      assert.deepEqual(strip(fromArchive), strip(fromRegistry), `${name} (docker-archive)`);
    }
  });

  test('library errors carry codes', async () => {
    const client = new RegistryClient();
    try {
      await assert.rejects(
        inspect(client.repository(reg.host, 'fixtures/none'), 'latest'),
        (e: unknown) => isArchfitError(e) && (e.code === 'NAME_UNKNOWN' || e.code === 'MANIFEST_UNKNOWN'),
      );
    } finally {
      await client.close();
    }
  });
});
