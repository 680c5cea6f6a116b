// The registry store against the real distribution registry (Debian's docker-registry) on 127.0.0.1: anonymous,
// htpasswd, bearer-token and TLS registries, images made of real busybox binaries, uploads (monolithic, chunked,
// cross-repository mount), and a fault-injecting proxy in front of the registry for 5xx, 429, resets and corruption.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { MockAgent } from 'undici';
import type { Digest } from '../src/digest/index.js';
import { ArchfitError, isArchfitError } from '../src/errors.js';
import { type Descriptor, MediaType } from '../src/image/index.js';
import {
  type Clock,
  type Credential,
  type CredentialStore,
  RegistryClient,
  type RegistryClientOptions,
  type RegistryRepository,
  type RequestEvent,
} from '../src/registry/index.js';
import { Redactor } from '../src/registry/redact.js';
import { Transport } from '../src/registry/transport.js';
import { VERSION } from '../src/version.js';
import {
  type FaultProxy,
  faultTimes,
  isBlobGet,
  isManifestGet,
  type ProxiedRequest,
  seededFaults,
  startFaultProxy,
} from './support/fault-proxy.js';
import { type Fixture, type Fixtures, loadFixtures, type PushedFixture, pushFixture } from './support/fixtures.js';
import { freePort, startRegistry, type TestRegistry } from './support/registry.js';

const sha256 = (b: Buffer | string): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

interface Recorder {
  lines: string[];
  events: RequestEvent[];
  options: Pick<RegistryClientOptions, 'log' | 'onRequest'>;
  count(match: (e: RequestEvent) => boolean): number;
}

function recorder(): Recorder {
  const lines: string[] = [];
  const events: RequestEvent[] = [];
  return {
    lines,
    events,
    options: { log: (l) => lines.push(l), onRequest: (e) => events.push(e) },
    count: (match) => events.filter(match).length,
  };
}

/** A clock whose sleeps return at once (recorded), and whose time can be moved forward. */
function fastClock(): Clock & { sleeps: number[]; advance(ms: number): void } {
  const sleeps: number[] = [];
  let offset = 0;
  return {
    sleeps,
    advance: (ms) => {
      offset += ms;
    },
    now: () => Date.now() + offset,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

function staticCredentials(map: Record<string, Credential>): CredentialStore & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get: async (host) => {
      asked.push(host);
      return map[host];
    },
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function randomBlob(size: number): { bytes: Buffer; descriptor: Descriptor } {
  const bytes = randomBytes(size);
  return { bytes, descriptor: { mediaType: 'application/octet-stream', digest: sha256(bytes), size } };
}

/** A source that counts how often it was opened. */
function countingSource(bytes: Buffer): { source: () => Promise<Readable>; opened: () => number } {
  let n = 0;
  return {
    source: async () => {
      n++;
      // Several chunks, so a reset can land in the middle.
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 16 * 1024) parts.push(bytes.subarray(i, i + 16 * 1024));
      return Readable.from(parts);
    },
    opened: () => n,
  };
}

const isManifestUrl = (e: RequestEvent) => e.url.includes('/manifests/');

/**
 * The read path every registry kind must serve: the index by tag (with one manifest request) and by digest, a child
 * image manifest against its index entry, and its layer streamed and verified.
 */
async function readsImage(repo: RegistryRepository, fixture: Fixture, rec?: Recorder): Promise<void> {
  const before = rec?.count(isManifestUrl) ?? 0;
  const byTag = await repo.getManifest(fixture.tag);
  if (rec) assert.equal(rec.count(isManifestUrl) - before, 1, 'one manifest request for a manifest');
  assert.equal(byTag.descriptor.digest, fixture.root.digest);
  assert.equal(byTag.descriptor.mediaType, fixture.root.mediaType);
  assert.ok(Buffer.from(byTag.bytes).equals(fixture.rootBytes));
  assert.equal(byTag.parsed.kind, fixture.kind);

  const byDigest = await repo.getManifest(fixture.root.digest);
  assert.equal(byDigest.descriptor.digest, fixture.root.digest);

  const image = fixture.images[0]!;
  const entry = fixture.kind === 'index' ? fixture.children[0]! : fixture.root;
  const child = await repo.getManifest(entry.digest, { expected: entry as Descriptor });
  assert.equal(child.parsed.kind, 'image');
  assert.equal(child.descriptor.digest, image.manifest.digest);

  const layer = image.layers[0]!;
  const stream = await repo.openBlob(layer as Descriptor);
  const bytes = await readAll(stream);
  assert.equal(sha256(bytes), layer.digest);
  assert.ok(bytes.equals(fixture.readBlob(layer.digest)));
  assert.equal(await repo.hasBlob(layer as Descriptor), true);
}

/** Tags one small image (an empty config, no layers) under each name; returns the names. */
async function pushTags(repo: RegistryRepository, names: string[]): Promise<string[]> {
  const config = Buffer.from('{}');
  await repo.pushBlob({ mediaType: MediaType.OciEmpty, digest: sha256(config), size: 2 }, async () =>
    Readable.from([config]),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciEmpty, digest: sha256(config), size: 2 },
      layers: [],
    }),
  );
  for (const tag of names) await repo.putManifest(manifest, MediaType.OciManifest, { tag });
  return names;
}

let fixtures: Fixtures;
before(async () => {
  fixtures = await loadFixtures();
});

// --- anonymous ------------------------------------------------------------------------------------------------------

describe('anonymous registry', () => {
  let registry: TestRegistry;
  let pushed: PushedFixture;
  before(async () => {
    registry = await startRegistry();
    pushed = await pushFixture(registry, fixtures.multiArch);
    await pushFixture(registry, fixtures.arm64OnlyDocker);
  });
  after(() => registry.stop());

  test('reads an index by tag (one manifest request) and by digest, a child image, and a verified layer', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options });
    try {
      await readsImage(client.repository(registry.host, pushed.repo), fixtures.multiArch, rec);
      // a Docker schema 2 image, pushed byte for byte
      const docker = fixtures.arm64OnlyDocker;
      const repo = client.repository(registry.host, 'fixtures/arm64-only-docker');
      await readsImage(repo, docker, rec);
      // a handshake probe found no TLS on the port: no HTTPS request at all, plain HTTP from the first one
      assert.ok(rec.events.every((e) => e.url.startsWith(`http://${registry.host}/`)));
      // the registry saw who asked
      const seen = (await registry.requests()).filter((e) => e.userAgent.startsWith('archfit'));
      assert.ok(seen.length >= rec.events.length - 1);
      assert.ok(seen.every((e) => e.userAgent === `archfit/${VERSION}`));
    } finally {
      await client.close();
    }
  });

  test('resolve uses HEAD and agrees with the bytes; hasManifest', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options });
    try {
      const repo = client.repository(registry.host, pushed.repo);
      const d = await repo.resolve(pushed.tag);
      assert.deepEqual(d, fixtures.multiArch.root);
      assert.equal(
        rec.count((e) => e.method === 'GET' && isManifestUrl(e)),
        0,
      );
      assert.equal(await repo.hasManifest(fixtures.multiArch.children[1] as Descriptor), true);
      assert.equal(
        await repo.hasManifest({ mediaType: MediaType.OciManifest, digest: sha256('nothing'), size: 7 }),
        false,
      );
    } finally {
      await client.close();
    }
  });

  test('errors name the method, the URL and the registry message in one line', async () => {
    const client = new RegistryClient();
    try {
      const repo = client.repository(registry.host, pushed.repo);
      await assert.rejects(repo.getManifest('v9'), (e: unknown) => {
        assert.ok(e instanceof ArchfitError);
        assert.equal(e.code, 'MANIFEST_UNKNOWN');
        assert.equal(
          e.message,
          `GET http://${registry.host}/v2/${pushed.repo}/manifests/v9: MANIFEST_UNKNOWN: manifest unknown`,
        );
        return true;
      });
      await assert.rejects(client.repository(registry.host, 'no/such-repo').listTags(), (e: unknown) => {
        assert.ok(isArchfitError(e, 'NAME_UNKNOWN'));
        assert.equal(
          (e as Error).message,
          `GET http://${registry.host}/v2/no/such-repo/tags/list: NAME_UNKNOWN: repository name not known to registry`,
        );
        return true;
      });
      const missing = randomBlob(10).descriptor;
      await assert.rejects(repo.openBlob(missing), (e: unknown) => {
        assert.ok(isArchfitError(e, 'BLOB_UNKNOWN'));
        assert.match((e as Error).message, /^GET http:\/\/\S+\/blobs\/sha256:[0-9a-f]{64}: BLOB_UNKNOWN: blob unknown/);
        return true;
      });
      assert.equal(await repo.hasBlob(missing), false);
      const headError = await repo.resolve('v9').then(
        () => '',
        (e: Error) => e.message,
      );
      assert.equal(
        headError,
        `HEAD http://${registry.host}/v2/${pushed.repo}/manifests/v9: MANIFEST_UNKNOWN: HTTP 404 Not Found`,
      );
    } finally {
      await client.close();
    }
  });

  test('tags: all of them, with the page size asked for (distribution 2.8 answers in one page)', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options, tagPageSize: 3 });
    try {
      const repo = client.repository(registry.host, 'tags/app');
      const names = await pushTags(repo, ['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
      assert.deepEqual((await repo.listTags()).sort(), names);
      assert.ok(rec.events.some((e) => e.url === `http://${registry.host}/v2/tags/app/tags/list?n=3`));
      const got = await repo.getManifest('t4');
      assert.equal(got.parsed.kind, 'image');
    } finally {
      await client.close();
    }
  });

  test('monolithic upload: POST then one streamed PUT ?digest=', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options });
    try {
      const repo = client.repository(registry.host, 'upload/mono');
      const { bytes, descriptor } = randomBlob(300_000);
      const progress: number[] = [];
      await repo.pushBlob(descriptor, async () => Readable.from([bytes]), { onProgress: (n) => progress.push(n) });
      assert.equal(progress.at(-1), bytes.length);
      assert.equal(
        rec.count((e) => e.method === 'PATCH'),
        0,
      );
      const put = rec.events.filter((e) => e.method === 'PUT');
      assert.equal(put.length, 1);
      assert.equal(put[0]!.status, 201);
      assert.ok(new URL(put[0]!.url).searchParams.get('digest') === descriptor.digest);
      assert.ok((await readAll(await repo.openBlob(descriptor))).equals(bytes));
    } finally {
      await client.close();
    }
  });

  test('chunked upload: PATCHes with Content-Range to the latest Location, then PUT', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options, uploadMode: 'chunked', chunkSize: 64 * 1024 });
    try {
      const repo = client.repository(registry.host, 'upload/chunked');
      const { bytes, descriptor } = randomBlob(300_000);
      const progress: number[] = [];
      await repo.pushBlob(descriptor, countingSource(bytes).source, { onProgress: (n) => progress.push(n) });
      assert.equal(
        rec.count((e) => e.method === 'PATCH' && e.status === 202),
        Math.ceil(300_000 / (64 * 1024)),
      );
      assert.deepEqual(progress, [65536, 131072, 196608, 262144, 300000]);
      assert.ok((await readAll(await repo.openBlob(descriptor))).equals(bytes));
      // an empty blob has no chunks at all
      const empty = randomBlob(0);
      await repo.pushBlob(empty.descriptor, async () => Readable.from([]));
      assert.equal(await repo.hasBlob(empty.descriptor), true);
    } finally {
      await client.close();
    }
  });

  test('a source that does not match its descriptor fails with DIGEST_MISMATCH and leaves nothing', async () => {
    const client = new RegistryClient();
    try {
      const repo = client.repository(registry.host, 'upload/bad');
      const { bytes, descriptor } = randomBlob(50_000);
      const other = Buffer.from(bytes);
      other[100] = (other[100] ?? 0) ^ 1;
      await assert.rejects(
        repo.pushBlob(descriptor, async () => Readable.from([other])),
        (e: unknown) => isArchfitError(e, 'DIGEST_MISMATCH'),
      );
      await assert.rejects(
        repo.pushBlob(descriptor, async () => Readable.from([bytes.subarray(1)])),
        (e: unknown) => isArchfitError(e, 'SIZE_MISMATCH'),
      );
      assert.equal(await repo.hasBlob(descriptor), false);
    } finally {
      await client.close();
    }
  });

  test('cross-repository mount, and a refused mount (blob not in the source) that falls back to upload', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options });
    try {
      const src = client.repository(registry.host, pushed.repo);
      const dst = client.repository(registry.host, 'mount/dst');
      const layer = fixtures.multiArch.images[1]!.layers[0]! as Descriptor;
      assert.ok(dst.canMount(src));
      assert.ok(!dst.canMount(new RegistryClient().repository(registry.host, pushed.repo)));
      assert.equal(await dst.mountBlob(layer, src), true);
      assert.equal(await dst.hasBlob(layer), true);
      assert.equal(
        rec.count((e) => e.method === 'POST' && e.url.includes('mount=') && e.status === 201),
        1,
      );

      const { bytes, descriptor } = randomBlob(20_000);
      assert.equal(await dst.mountBlob(descriptor, src), false);
      // the registry started an upload instead (202): it was cancelled
      assert.equal(
        rec.count((e) => e.method === 'DELETE'),
        1,
      );
      await dst.pushBlob(descriptor, async () => Readable.from([bytes]));
      assert.equal(await dst.hasBlob(descriptor), true);
    } finally {
      await client.close();
    }
  });

  test('manifests are put by digest, then by tag; the raw bytes come back', async () => {
    const client = new RegistryClient();
    try {
      const src = client.repository(registry.host, pushed.repo);
      const dst = client.repository(registry.host, 'put/app');
      const child = fixtures.multiArch.images[0]!;
      for (const blob of [child.config, ...child.layers]) {
        assert.ok(await dst.mountBlob(blob as Descriptor, src));
      }
      const bytes = fixtures.multiArch.readBlob(child.manifest.digest);
      const d = await dst.putManifest(bytes, child.manifest.mediaType, { tag: 'copied' });
      assert.deepEqual(d, child.manifest);
      const back = await dst.getManifest('copied');
      assert.ok(Buffer.from(back.bytes).equals(bytes));
      await assert.rejects(dst.putManifest(bytes, child.manifest.mediaType, { tag: 'bad tag' }), (e: unknown) =>
        isArchfitError(e, 'INVALID_REFERENCE'),
      );
    } finally {
      await client.close();
    }
  });

  test('referrers: the tag-schema fallback when the registry has no referrers API', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options });
    try {
      const repo = client.repository(registry.host, pushed.repo);
      const subject = fixtures.multiArch.children[0]! as Descriptor;
      assert.deepEqual(await repo.listReferrers(subject.digest), []);
      const empty = Buffer.from('{}');
      await repo.pushBlob({ mediaType: MediaType.OciEmpty, digest: sha256(empty), size: 2 }, async () =>
        Readable.from([empty]),
      );
      const artifactType = 'application/vnd.example.sbom.v1+json';
      const artifact = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          artifactType,
          config: { mediaType: MediaType.OciEmpty, digest: sha256(empty), size: 2 },
          layers: [],
          subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        }),
      );
      const artifactDescriptor = await repo.putManifest(artifact, MediaType.OciManifest);
      const fallbackIndex = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciIndex,
          manifests: [{ ...artifactDescriptor, artifactType }],
        }),
      );
      await repo.putManifest(fallbackIndex, MediaType.OciIndex, { tag: `sha256-${subject.digest.slice(7)}` });
      assert.deepEqual(await repo.listReferrers(subject.digest), [{ ...artifactDescriptor, artifactType }]);
      assert.deepEqual(await repo.listReferrers(subject.digest, { artifactType: 'application/other' }), []);
      assert.ok(rec.events.some((e) => e.url.includes(`/referrers/${subject.digest}`) && e.status === 404));
    } finally {
      await client.close();
    }
  });

  test('an ECR-named host mapped to the local registry: n=1000 for tags', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options, hosts: { [ECR]: registry.host } });
    try {
      const name = 'fixtures/arm64-only-docker';
      const repo = client.repository(ECR, name);
      assert.equal(repo.description, `${ECR}/${name}`);
      assert.deepEqual(await repo.listTags(), ['latest']);
      assert.ok(rec.events.some((e) => e.url === `http://${registry.host}/v2/${name}/tags/list?n=1000`));
    } finally {
      await client.close();
    }
  });
});

// --- htpasswd -------------------------------------------------------------------------------------------------------

describe('htpasswd registry (Basic)', () => {
  let registry: TestRegistry;
  let pushed: PushedFixture;
  before(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    pushed = await pushFixture(registry, fixtures.multiArch);
  });
  after(() => registry.stop());

  test('reads with credentials looked up by registry name', async () => {
    const rec = recorder();
    const credentials = staticCredentials({
      [registry.host]: { username: registry.username!, password: registry.password! },
    });
    const client = new RegistryClient({ ...rec.options, credentials });
    try {
      await readsImage(client.repository(registry.host, pushed.repo), fixtures.multiArch, rec);
      assert.deepEqual([...new Set(credentials.asked)], [registry.host]);
    } finally {
      await client.close();
    }
  });

  test('through a hosts override, credentials are those of the name, not of the dialled host', async () => {
    const credentials = staticCredentials({ [ECR]: { username: registry.username!, password: registry.password! } });
    const client = new RegistryClient({ credentials, hosts: { [ECR]: registry.host } });
    try {
      const got = await client.repository(ECR, pushed.repo).getManifest(pushed.tag);
      assert.equal(got.descriptor.digest, fixtures.multiArch.root.digest);
      assert.deepEqual([...new Set(credentials.asked)], [ECR]);
    } finally {
      await client.close();
    }
  });

  test('without credentials, or with a wrong password: UNAUTHORIZED in one line', async () => {
    const anonymous = new RegistryClient();
    const wrong = new RegistryClient({
      credentials: staticCredentials({ [registry.host]: { username: registry.username!, password: 'not-it' } }),
    });
    try {
      await assert.rejects(anonymous.repository(registry.host, pushed.repo).getManifest('latest'), (e: unknown) => {
        assert.ok(isArchfitError(e, 'UNAUTHORIZED'));
        assert.equal(
          (e as Error).message,
          `GET http://${registry.host}/v2/${pushed.repo}/manifests/latest: UNAUTHORIZED: authentication required (no credentials for ${registry.host})`,
        );
        return true;
      });
      await assert.rejects(wrong.repository(registry.host, pushed.repo).getManifest('latest'), (e: unknown) =>
        isArchfitError(e, 'UNAUTHORIZED'),
      );
    } finally {
      await anonymous.close();
      await wrong.close();
    }
  });
});

// --- bearer tokens ----------------------------------------------------------------------------------------------------

describe('token registry (bearer)', () => {
  const noPull = new Set<string>();
  let registry: TestRegistry;
  let pushed: PushedFixture;
  before(async () => {
    registry = await startRegistry({
      auth: 'token',
      token: {
        // Repositories named here get no pull: the source of a refused mount.
        grant: (requested) =>
          noPull.has(requested.name) ? requested.actions.filter((a) => a !== 'pull') : requested.actions,
      },
    });
    pushed = await pushFixture(registry, fixtures.multiArch);
    await pushFixture(registry, fixtures.multiArch, 'private/src');
  });
  after(() => registry.stop());

  const creds = () =>
    staticCredentials({ [registry.host]: { username: registry.username!, password: registry.password! } });

  test('reads with a token (one token request), GET with Basic to the realm', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options, credentials: creds() });
    const server = registry.tokenServer!;
    const before = server.count;
    try {
      await readsImage(client.repository(registry.host, pushed.repo), fixtures.multiArch, rec);
      assert.equal(server.count - before, 1);
      const record = server.requests.at(-1)!;
      assert.equal(record.method, 'GET');
      assert.equal(record.account, registry.username);
      assert.deepEqual(record.scopes, [`repository:${pushed.repo}:pull`]);
    } finally {
      await client.close();
    }
  });

  test('scopes accumulate: one token covers pull on the source and push on the destination, and mount works', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options, credentials: creds() });
    const server = registry.tokenServer!;
    try {
      const src = client.repository(registry.host, pushed.repo);
      const dst = client.repository(registry.host, 'mount/target');
      const layer = fixtures.multiArch.images[2]!.layers[0]! as Descriptor;
      await src.hasBlob(layer);
      assert.equal(await dst.mountBlob(layer, src), true);
      const record = server.requests.at(-1)!;
      assert.deepEqual(record.scopes.sort(), [`repository:${pushed.repo}:pull`, 'repository:mount/target:pull,push']);
      assert.equal(await dst.hasBlob(layer), true);
      assert.ok(rec.events.some((e) => e.method === 'POST' && e.url.includes('mount=') && e.status === 201));
    } finally {
      await client.close();
    }
  });

  test('a mount the token does not allow (no pull on the source) is refused, and the upload goes ahead', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options, credentials: creds() });
    noPull.add('private/src');
    try {
      const src = client.repository(registry.host, 'private/src');
      const dst = client.repository(registry.host, 'public/dst');
      const layer = fixtures.multiArch.images[3]!.layers[0]! as Descriptor;
      assert.equal(await dst.mountBlob(layer, src), false);
      // the registry itself said no (401 for the missing pull), after one attempt with a renewed token
      const mounts = rec.events.filter((e) => e.method === 'POST' && e.url.includes('mount='));
      assert.deepEqual(
        mounts.map((e) => e.status),
        [401, 401],
      );
      assert.ok(rec.lines.some((l) => l.includes('refused')));
      await dst.pushBlob(layer, async () => Readable.from([fixtures.multiArch.readBlob(layer.digest)]));
      assert.equal(await dst.hasBlob(layer), true);
    } finally {
      noPull.delete('private/src');
      await client.close();
    }
  });

  test('an expired token is renewed before use (short expires_in, clock moved on)', async () => {
    const clock = fastClock();
    const client = new RegistryClient({ clock, credentials: creds() });
    const server = registry.tokenServer!;
    try {
      const repo = client.repository(registry.host, pushed.repo);
      const before = server.count;
      await repo.getManifest(pushed.tag);
      await repo.getManifest(pushed.tag);
      assert.equal(server.count - before, 1, 'the token is reused while fresh');
      clock.advance(301_000); // the token server's expires_in is 300 s
      await repo.getManifest(pushed.tag);
      assert.equal(server.count - before, 2);
    } finally {
      await client.close();
    }
  });

  test('the OAuth2 POST form with a refresh token (identitytoken), and the password grant', async () => {
    const server = registry.tokenServer!;
    const withPassword = new RegistryClient({ credentials: creds(), oauthPasswordGrant: true });
    try {
      await withPassword.repository(registry.host, pushed.repo).getManifest(pushed.tag);
      assert.equal(server.requests.at(-1)!.grantType, 'password');
    } finally {
      await withPassword.close();
    }
    const refreshToken = [...server.refreshTokens.keys()].at(-1)!;
    const client = new RegistryClient({
      credentials: staticCredentials({ [registry.host]: { identityToken: refreshToken } }),
    });
    try {
      const got = await client.repository(registry.host, pushed.repo).getManifest(pushed.tag);
      assert.equal(got.descriptor.digest, fixtures.multiArch.root.digest);
      const record = server.requests.at(-1)!;
      assert.equal(record.method, 'POST');
      assert.equal(record.grantType, 'refresh_token');
      assert.equal(record.account, registry.username);
    } finally {
      await client.close();
    }
  });

  test('a registry token credential is sent as the bearer as it is', async () => {
    const server = registry.tokenServer!;
    const token = server.issueToken([{ type: 'repository', name: pushed.repo, actions: ['pull'] }], {
      account: registry.username!,
    });
    const before = server.count;
    const client = new RegistryClient({
      credentials: staticCredentials({ [registry.host]: { registryToken: token } }),
    });
    try {
      const got = await client.repository(registry.host, pushed.repo).getManifest(pushed.tag);
      assert.equal(got.descriptor.digest, fixtures.multiArch.root.digest);
      assert.equal(server.count, before, 'no token request');
    } finally {
      await client.close();
    }
  });

  test('wrong credentials at the token server: UNAUTHORIZED naming the realm', async () => {
    const client = new RegistryClient({
      credentials: staticCredentials({ [registry.host]: { username: registry.username!, password: 'wrong' } }),
    });
    try {
      await assert.rejects(client.repository(registry.host, pushed.repo).getManifest('latest'), (e: unknown) => {
        assert.ok(isArchfitError(e, 'UNAUTHORIZED'));
        assert.match(
          (e as Error).message,
          /^GET http:\/\/127\.0\.0\.1:\d+\/token\?\S+: UNAUTHORIZED: incorrect username or password/,
        );
        assert.ok(!(e as Error).message.includes('wrong'));
        return true;
      });
    } finally {
      await client.close();
    }
  });
});

describe('token registry variants', () => {
  test('anonymous pulls with anonymous tokens; a token server without the POST form falls back to GET', async () => {
    const registry = await startRegistry({ auth: 'token', token: { allowAnonymous: true, acceptPost: false } });
    try {
      const pushed = await pushFixture(registry, fixtures.arm64OnlyDocker);
      const rec = recorder();
      const anonymous = new RegistryClient({ ...rec.options });
      try {
        await readsImage(anonymous.repository(registry.host, pushed.repo), fixtures.arm64OnlyDocker, rec);
        assert.equal(registry.tokenServer!.requests.at(-1)!.presentedCredentials, false);
      } finally {
        await anonymous.close();
      }
      const oauth = new RegistryClient({
        credentials: staticCredentials({
          [registry.host]: { username: registry.username!, password: registry.password!, identityToken: 'stale' },
        }),
      });
      try {
        await oauth.repository(registry.host, pushed.repo).getManifest(pushed.tag);
        const [post, get] = registry.tokenServer!.requests.slice(-2);
        assert.equal(post!.method, 'POST');
        assert.equal(post!.status, 404);
        assert.equal(get!.method, 'GET');
        assert.equal(get!.account, registry.username);
      } finally {
        await oauth.close();
      }
    } finally {
      await registry.stop();
    }
  });
});

// --- TLS ------------------------------------------------------------------------------------------------------------

describe('TLS registry', () => {
  let registry: TestRegistry;
  let pushed: PushedFixture;
  before(async () => {
    registry = await startRegistry({ tls: true, auth: 'htpasswd' });
    pushed = await pushFixture(registry, fixtures.multiArch);
  });
  after(() => registry.stop());

  test('with the CA file: reads over HTTPS with Basic credentials', async () => {
    const rec = recorder();
    const client = new RegistryClient({
      ...rec.options,
      caFile: registry.caFile!,
      credentials: staticCredentials({
        [registry.host]: { username: registry.username!, password: registry.password! },
      }),
    });
    try {
      await readsImage(client.repository(registry.host, pushed.repo), fixtures.multiArch, rec);
      assert.ok(rec.events.every((e) => e.url.startsWith('https://')));
    } finally {
      await client.close();
    }
  });

  test('the handshake probe: true for a TLS port whoever signed it, false for plain HTTP, undefined when unknown', async () => {
    const plain = await startRegistry();
    const closed = await freePort();
    const transport = new Transport({}, { redactor: new Redactor(), urlPolicy: { allowHttp: () => true } });
    const injected = new Transport(
      { dispatcher: new MockAgent() },
      { redactor: new Redactor(), urlPolicy: { allowHttp: () => true } },
    );
    try {
      assert.equal(await transport.speaksTls(registry.host, undefined), true, 'TLS registry, CA unknown');
      assert.equal(await transport.speaksTls(plain.host, undefined), false, 'plain HTTP registry');
      assert.equal(await transport.speaksTls(`127.0.0.1:${closed}`, undefined), undefined, 'nothing listening');
      assert.equal(
        await injected.speaksTls(plain.host, undefined),
        undefined,
        'an injected dispatcher is not bypassed',
      );
      assert.equal(await transport.speaksTls(plain.host, AbortSignal.abort()), undefined, 'cancelled');
    } finally {
      await transport.close();
      await injected.close();
      await plain.stop();
    }
  });

  test('without the CA: TLS_ERROR, and no fallback to plain HTTP', async () => {
    const rec = recorder();
    const client = new RegistryClient({ ...rec.options });
    try {
      await assert.rejects(client.repository(registry.host, pushed.repo).getManifest('latest'), (e: unknown) => {
        assert.ok(isArchfitError(e, 'TLS_ERROR'));
        assert.match((e as Error).message, /^GET https:\/\/127\.0\.0\.1:\d+\/v2\/: TLS_ERROR: .*certificate/);
        assert.ok(!(e as Error).message.includes('\n'));
        return true;
      });
      assert.equal(
        rec.count((e) => e.url.startsWith('http://')),
        0,
      );
    } finally {
      await client.close();
    }
  });
});

// --- faults -----------------------------------------------------------------------------------------------------------

describe('faults between the client and the registry', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let pushed: PushedFixture;
  before(async () => {
    registry = await startRegistry();
    pushed = await pushFixture(registry, fixtures.multiArch);
    proxy = await startFaultProxy({ target: registry.url });
  });
  after(async () => {
    await proxy.close();
    await registry.stop();
  });

  const layer = () => fixtures.multiArch.images[0]!.layers[0]! as Descriptor;

  function client(extra: RegistryClientOptions = {}) {
    const rec = recorder();
    const clock = fastClock();
    const c = new RegistryClient({ ...rec.options, clock, ...extra });
    return { rec, clock, c, repo: (name = pushed.repo) => c.repository(proxy.host, name) };
  }

  test('500s are retried and the manifest arrives', async () => {
    const { rec, clock, c, repo } = client();
    proxy.reset();
    proxy.setRule(faultTimes(isManifestGet, { type: 'respond', status: 500, body: 'oops' }, 2));
    try {
      const got = await repo().getManifest(pushed.tag);
      assert.equal(got.descriptor.digest, fixtures.multiArch.root.digest);
      assert.equal(proxy.log.filter((l) => isManifestGet(l as unknown as ProxiedRequest)).length, 3);
      assert.equal(clock.sleeps.length, 2);
      assert.equal(rec.lines.filter((l) => l.startsWith('retry ')).length, 2);
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  test('429 with Retry-After is waited out', async () => {
    const { clock, c, repo } = client();
    proxy.setRule(faultTimes(isBlobGet, { type: 'respond', status: 429, headers: { 'retry-after': '3' } }));
    try {
      const bytes = await readAll(await repo().openBlob(layer()));
      assert.equal(sha256(bytes), layer().digest);
      assert.deepEqual(clock.sleeps, [3000]);
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  for (const type of ['reset', 'truncate'] as const) {
    test(`a connection ${type === 'reset' ? 'reset' : 'closed early'} mid-blob: resumed with Range, verified`, async () => {
      const { rec, c, repo } = client();
      proxy.reset();
      proxy.setRule(faultTimes(isBlobGet, { type, afterBytes: 200_000 }));
      try {
        const stream = await repo().openBlob(layer());
        const bytes = await readAll(stream);
        assert.equal(sha256(bytes), layer().digest);
        assert.ok(bytes.equals(fixtures.multiArch.readBlob(layer().digest)));
        const gets = proxy.log.filter((l) => l.method === 'GET' && l.path.includes('/blobs/'));
        assert.equal(gets.length, 2);
        assert.equal(gets[0]!.range, undefined);
        assert.match(gets[1]!.range ?? '', /^bytes=\d+-$/);
        assert.ok(rec.lines.some((l) => l.includes('resuming')));
      } finally {
        proxy.setRule(undefined);
        await c.close();
      }
    });
  }

  test('a corrupted byte fails the read with DIGEST_MISMATCH', async () => {
    const { c, repo } = client();
    proxy.setRule(faultTimes(isBlobGet, { type: 'corrupt', atByte: 123_456 }));
    try {
      const stream = await repo().openBlob(layer());
      await assert.rejects(readAll(stream), (e: unknown) => {
        assert.ok(isArchfitError(e, 'DIGEST_MISMATCH'));
        assert.match((e as Error).message, new RegExp(`expected ${layer().digest}$`));
        assert.ok((e as Error).message.includes(`/v2/${pushed.repo}/blobs/${layer().digest}`));
        return true;
      });
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  test('an upload answered 500, then reset, starts over from a reopened source', async () => {
    const { c, repo } = client();
    const isPut = (r: ProxiedRequest) => r.method === 'PUT' && r.path.includes('/blobs/uploads/');
    let puts = 0;
    proxy.setRule((r) => {
      if (!isPut(r)) return undefined;
      puts++;
      if (puts === 1) return { type: 'respond', status: 500 };
      if (puts === 2) return { type: 'reset', afterBytes: 0 };
      return undefined;
    });
    try {
      const { bytes, descriptor } = randomBlob(500_000);
      const src = countingSource(bytes);
      const dst = repo('faults/upload');
      await dst.pushBlob(descriptor, src.source);
      assert.equal(src.opened(), 3);
      assert.ok((await readAll(await dst.openBlob(descriptor))).equals(bytes));
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  test('a registry that refuses the monolithic PUT (413) gets chunks, and keeps getting them', async () => {
    const { rec, c, repo } = client({ chunkSize: 100_000 });
    proxy.setRule(
      faultTimes((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/'), {
        type: 'respond',
        status: 413,
        body: 'request entity too large',
      }),
    );
    try {
      const dst = repo('faults/chunks');
      const first = randomBlob(250_000);
      await dst.pushBlob(first.descriptor, countingSource(first.bytes).source);
      assert.equal(
        rec.count((e) => e.method === 'PATCH'),
        3,
      );
      const second = randomBlob(150_000);
      await dst.pushBlob(second.descriptor, countingSource(second.bytes).source);
      assert.equal(
        rec.count((e) => e.method === 'PATCH'),
        5,
      );
      for (const b of [first, second]) {
        assert.ok((await readAll(await dst.openBlob(b.descriptor))).equals(b.bytes));
      }
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  test('tags across pages: n, last and Link (the proxy pages what the registry has)', async () => {
    const { rec, c, repo } = client({ tagPageSize: 3 });
    const names = await pushTags(repo('paged/app'), ['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'd1']);
    proxy.setRule((r) => {
      const url = new URL(r.path, 'http://x');
      if (!url.pathname.endsWith('/tags/list')) return undefined;
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const from = last === null ? 0 : names.indexOf(last) + 1;
      const page = names.slice(from, from + n);
      const more = from + n < names.length;
      return {
        type: 'respond',
        status: 200,
        headers: {
          'content-type': 'application/json',
          // relative, as distribution writes it
          ...(more ? { link: `</v2/paged/app/tags/list?last=${page.at(-1)}&n=${n}>; rel="next"` } : {}),
        },
        body: JSON.stringify({ name: 'paged/app', tags: page }),
      };
    });
    try {
      assert.deepEqual(await repo('paged/app').listTags(), names);
      assert.deepEqual(
        rec.events.filter((e) => e.url.includes('/tags/list')).map((e) => new URL(e.url).search),
        ['?n=3', '?last=b1&n=3', '?last=c2&n=3'],
      );
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  test('seeded random faults (5xx, 429, resets, early closes) on every read: the whole image arrives verified', async () => {
    const { c, repo } = client();
    proxy.reset();
    proxy.setRule(
      seededFaults({
        seed: 20261126,
        probability: 0.35,
        maxFaults: 15,
        match: (r) => r.method === 'GET' && r.path !== '/v2/',
        faults: (random) => {
          const pick = Math.floor(random() * 5);
          if (pick === 0) return { type: 'respond', status: 500 };
          if (pick === 1) return { type: 'respond', status: 429, headers: { 'retry-after': '1' } };
          if (pick === 2)
            return { type: 'respond', status: 503, headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' } };
          if (pick === 3) return { type: 'reset', afterBytes: Math.floor(random() * 900_000) };
          return { type: 'truncate', afterBytes: Math.floor(random() * 900_000) };
        },
      }),
    );
    try {
      const r = repo();
      const index = await r.getManifest(pushed.tag);
      assert.equal(index.parsed.kind, 'index');
      for (const child of fixtures.multiArch.images) {
        const m = await r.getManifest(child.manifest.digest, { expected: child.manifest as Descriptor });
        assert.equal(m.parsed.kind, 'image');
        for (const blob of [child.config, ...child.layers]) {
          const bytes = await readAll(await r.openBlob(blob as Descriptor));
          assert.equal(sha256(bytes), blob.digest);
        }
      }
      assert.ok(proxy.log.filter((l) => l.fault !== 'pass').length >= 5, 'faults were injected');
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });

  test('retries end: a persistent 503 fails after the budget with the registry words', async () => {
    const { clock, c, repo } = client();
    proxy.setRule((r) => (isManifestGet(r) ? { type: 'respond', status: 503, body: '' } : undefined));
    try {
      await assert.rejects(repo().getManifest(pushed.tag), (e: unknown) => {
        assert.ok(isArchfitError(e, 'REGISTRY_ERROR'));
        assert.match((e as Error).message, /: REGISTRY_ERROR: HTTP 503/);
        return true;
      });
      assert.equal(clock.sleeps.length, 4);
    } finally {
      proxy.setRule(undefined);
      await c.close();
    }
  });
});

describe('401 in the middle of an operation (token registry behind the proxy)', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let pushed: PushedFixture;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
    pushed = await pushFixture(registry, fixtures.arm64OnlyDocker);
    proxy = await startFaultProxy({ target: registry.url });
  });
  after(async () => {
    await proxy.close();
    await registry.stop();
  });

  test('a revoked token (401 invalid_token) is refreshed once and the request repeated; twice fails', async () => {
    const server = registry.tokenServer!;
    const challenge = `Bearer realm="${server.realm}",service="${server.service}",scope="repository:${pushed.repo}:pull",error="invalid_token"`;
    const client = new RegistryClient({
      clock: fastClock(),
      credentials: staticCredentials({
        [proxy.host]: { username: registry.username!, password: registry.password! },
      }),
    });
    try {
      const repo = client.repository(proxy.host, pushed.repo);
      await repo.getManifest(pushed.tag);
      const before = server.count;
      proxy.setRule(
        faultTimes(isManifestGet, { type: 'respond', status: 401, headers: { 'www-authenticate': challenge } }),
      );
      const got = await repo.getManifest(pushed.tag);
      assert.equal(got.descriptor.digest, fixtures.arm64OnlyDocker.root.digest);
      assert.equal(server.count - before, 1, 'one new token');

      proxy.setRule(
        faultTimes(isManifestGet, { type: 'respond', status: 401, headers: { 'www-authenticate': challenge } }, 2),
      );
      await assert.rejects(repo.getManifest(pushed.tag), (e: unknown) => isArchfitError(e, 'UNAUTHORIZED'));
      assert.equal(server.count - before, 2, 'refreshed once more, not in a loop');
    } finally {
      proxy.setRule(undefined);
      await client.close();
    }
  });
});

// --- secrets ------------------------------------------------------------------------------------------------------

describe('no credential in any log line, event or error message', () => {
  const PASSWORD = 'Sentinel-Password-7f3a9c2e';
  const WRONG = 'Wrong-Sentinel-Password-41b7';

  test('a run with a password, tokens, a refresh token and a registry token leaks none of them', async () => {
    const basicRegistry = await startRegistry({ auth: 'htpasswd', password: PASSWORD });
    const tokenRegistry = await startRegistry({ auth: 'token', password: PASSWORD });
    const lines: string[] = [];
    const messages: string[] = [];
    const urls: string[] = [];
    const options = {
      log: (l: string) => lines.push(l),
      onRequest: (e: RequestEvent) => urls.push(e.url),
      clock: fastClock(),
    };
    const capture = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        let err: unknown = e;
        while (err instanceof Error) {
          messages.push(err.message, String(err.stack), JSON.stringify((err as ArchfitError).details ?? {}));
          err = err.cause;
        }
      }
    };
    try {
      const b = await pushFixture(basicRegistry, fixtures.arm64OnlyDocker);
      const t = await pushFixture(tokenRegistry, fixtures.arm64OnlyDocker);
      const server = tokenRegistry.tokenServer!;
      const user = basicRegistry.username!;
      const good = new RegistryClient({
        ...options,
        oauthPasswordGrant: true,
        credentials: staticCredentials({
          [basicRegistry.host]: { username: user, password: PASSWORD },
          [tokenRegistry.host]: { username: user, password: PASSWORD },
        }),
      });
      for (const [reg, pushed] of [
        [basicRegistry, b],
        [tokenRegistry, t],
      ] as const) {
        const repo = good.repository(reg.host, pushed.repo);
        await readsImage(repo, fixtures.arm64OnlyDocker);
        await capture(repo.getManifest('missing'));
        await capture(repo.openBlob(randomBlob(5).descriptor));
        const up = randomBlob(10_000);
        await repo.pushBlob(up.descriptor, async () => Readable.from([up.bytes]));
      }
      await good.close();
      const refreshToken = [...server.refreshTokens.keys()].at(-1)!;
      const registryToken = server.issueToken([{ type: 'repository', name: t.repo, actions: ['pull'] }], {
        account: user,
      });
      const others = [
        new RegistryClient({
          ...options,
          credentials: staticCredentials({
            [basicRegistry.host]: { username: user, password: WRONG },
            [tokenRegistry.host]: { username: user, password: WRONG },
          }),
        }),
        new RegistryClient({
          ...options,
          credentials: staticCredentials({ [tokenRegistry.host]: { identityToken: refreshToken } }),
        }),
        new RegistryClient({
          ...options,
          credentials: staticCredentials({ [tokenRegistry.host]: { registryToken } }),
        }),
      ];
      for (const c of others) {
        await capture(c.repository(basicRegistry.host, b.repo).getManifest('latest'));
        await capture(c.repository(tokenRegistry.host, t.repo).getManifest('latest'));
        await capture(c.repository(tokenRegistry.host, 'other/repo').getManifest('latest'));
        await c.close();
      }
      assert.ok(messages.length >= 8, `errors were captured (${messages.length})`);
      assert.ok(lines.length > 30);
      const everything = [...lines, ...messages, ...urls].join('\n');
      const secrets = [
        PASSWORD,
        WRONG,
        encodeURIComponent(PASSWORD),
        Buffer.from(`${user}:${PASSWORD}`).toString('base64'),
        Buffer.from(`${user}:${WRONG}`).toString('base64'),
        refreshToken,
        registryToken,
        registryToken.split('.')[2]!,
      ];
      for (const secret of secrets) assert.ok(!everything.includes(secret), `a secret leaked: ${secret.slice(0, 6)}…`);
      // tokens the token server issued are JWTs: none may appear
      assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(everything), 'a token leaked');
    } finally {
      await basicRegistry.stop();
      await tokenRegistry.stop();
    }
  });
});
