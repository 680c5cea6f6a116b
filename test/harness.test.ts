// Proves the real-parts test harness: registries (anonymous, htpasswd, token, TLS, several at once), skopeo as a
// byte-preserving peer, and fixtures made of real binaries that say what they contain.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fetch } from 'undici';
import { makeTempDir, removeTempDir } from './support/cleanup.js';
import { readElfFacts } from './support/elf.js';
import {
  buildFixtures,
  DEEP_CHECK_FIXTURES,
  FIXTURE_NAMES,
  type Fixture,
  fixtureRepo,
  loadFixtures,
  pushFixture,
} from './support/fixtures.js';
import { MediaType, sha256Digest } from './support/oci-layout.js';
import { startRegistry, useRegistry } from './support/registry.js';
import { parseChallenge, RegistryHttpClient } from './support/registry-http.js';
import { mergeLayers, resolveCommand, resolvePath } from './support/rootfs-oracle.js';
import { startTokenServer } from './support/token-server.js';
import { dockerRef, runElf, skopeoCopy, skopeoInspectRaw } from './support/tools.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

interface ImageIndexJson {
  manifests: {
    digest: string;
    platform?: { architecture: string; os: string; variant?: string };
    annotations?: Record<string, string>;
  }[];
}

describe('fixtures', () => {
  test('the six-platform index has the platforms, children and attestations its metadata lists', async () => {
    const { multiArch } = await loadFixtures();
    assert.equal(multiArch.kind, 'index');
    assert.equal(multiArch.root.mediaType, MediaType.ociIndex);
    assert.equal(sha256Digest(multiArch.rootBytes), multiArch.root.digest);
    assert.deepEqual(multiArch.platforms, [
      'linux/amd64',
      'linux/arm64/v8',
      'linux/arm/v7',
      'linux/386',
      'linux/ppc64le',
      'linux/s390x',
    ]);
    const index = JSON.parse(multiArch.rootBytes.toString('utf8')) as ImageIndexJson;
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      multiArch.children.map((c) => c.digest),
    );
    const attestations = index.manifests.filter((m) => m.platform?.os === 'unknown');
    assert.equal(attestations.length, 2);
    const [amd64, arm64] = multiArch.images;
    assert.deepEqual(
      attestations.map((a) => a.annotations?.['vnd.docker.reference.digest']),
      [amd64!.manifest.digest, arm64!.manifest.digest],
    );
    for (const a of attestations) {
      assert.equal(a.annotations?.['vnd.docker.reference.type'], 'attestation-manifest');
      assert.deepEqual(a.platform, { architecture: 'unknown', os: 'unknown' });
    }
    for (const a of multiArch.attestations) {
      assert.deepEqual(
        a.layers.map((l) => l.mediaType),
        [MediaType.inToto],
      );
      const statement = multiArch.readJson<{ subject: { digest: { sha256: string } }[] }>(a.layers[0]!.digest);
      assert.equal(`sha256:${statement.subject[0]!.digest.sha256}`, a.subject);
    }
  });

  test('every image holds a real busybox of its platform that runs (natively or under qemu)', async () => {
    const { multiArch } = await loadFixtures();
    const expectedUname: Record<string, string> = {
      'linux/amd64': 'x86_64',
      'linux/arm64/v8': 'aarch64',
      'linux/arm/v7': 'armv7l',
      'linux/386': 'i686',
      'linux/ppc64le': 'ppc64le',
      'linux/s390x': 's390x',
    };
    const tmp = makeTempDir('busybox-run');
    try {
      for (const image of multiArch.images) {
        const config = multiArch.readJson<{ architecture: string; rootfs: { diff_ids: string[] } }>(
          image.config.digest,
        );
        assert.equal(config.architecture, image.platform.architecture);
        assert.deepEqual(
          config.rootfs.diff_ids,
          image.layers.map((l) => l.diffId),
        );
        const fs = await mergeLayers(multiArch, image);
        const resolved = resolveCommand(fs, image.entrypoint ?? [], image.env);
        assert.equal(resolved, '/bin/busybox', image.platformString);
        const bytes = fs.get(resolved)!.content!;
        assert.equal(readElfFacts(bytes)?.machine, image.entrypointElf?.machine, image.platformString);
        const file = join(tmp, `busybox-${image.platform.architecture}`);
        writeFileSync(file, bytes);
        chmodSync(file, 0o755);
        const r = await runElf(file, ['uname', '-m'], image.entrypointElf!.name);
        assert.equal(r.stdout.toString().trim(), expectedUname[image.platformString]);
      }
    } finally {
      removeTempDir(tmp);
    }
  });

  test('deep-check images contain what their expectations say', async () => {
    const fx = await loadFixtures();
    for (const name of DEEP_CHECK_FIXTURES) {
      const f: Fixture = fx[name];
      const expect = f.expect!;
      assert.ok(expect, name);
      assert.equal(f.kind, 'image', name);
      assert.equal(f.images.length, 1, name);
      const image = f.images[0]!;
      assert.equal(image.platformString, expect.declared, name);
      const config = f.readJson<{ architecture: string; os: string }>(image.config.digest);
      assert.equal(`${config.os}/${config.architecture}`, expect.declared, name);
      const fs = await mergeLayers(f, image);
      const resolved = resolveCommand(fs, expect.command, image.env);
      assert.equal(resolved, expect.resolvedPath, `${name}: resolved entrypoint`);
      for (const p of expect.absentPaths ?? []) assert.equal(resolvePath(fs, p), undefined, `${name}: ${p} absent`);
      for (const p of expect.presentPaths ?? []) assert.ok(resolvePath(fs, p), `${name}: ${p} present`);
      const content = resolved ? fs.get(resolved)?.content : undefined;
      const elf = content ? readElfFacts(content) : undefined;
      switch (expect.outcome) {
        case 'fits':
        case 'arch-mismatch': {
          assert.equal(elf?.machine, expect.elf?.machine, name);
          assert.equal(elf?.interpreter, undefined, `${name}: static`);
          const labelled = config.architecture === 'amd64' ? 62 : -1;
          assert.equal(elf?.machine === labelled, expect.outcome === 'fits', name);
          break;
        }
        case 'entrypoint-missing':
          assert.equal(resolved, undefined, name);
          break;
        case 'interpreter-missing':
          assert.equal(elf?.interpreter, expect.interpreter, name);
          assert.equal(resolvePath(fs, expect.interpreter!), undefined, name);
          break;
        case 'exec-format-error':
          assert.ok(content && elf === undefined && !content.subarray(0, 2).equals(Buffer.from('#!')), name);
          break;
        case 'interpreter-crlf':
          assert.ok(content?.toString('latin1').startsWith(`#!${expect.interpreter}\n`), name);
          assert.equal(resolvePath(fs, expect.interpreter!), undefined, name);
          break;
      }
    }
    const zstd = fx.zstdLayer.images[0]!.layers.map((l) => l.mediaType);
    assert.deepEqual(zstd, [MediaType.ociLayerGzip, MediaType.ociLayerZstd]);
    const docker = fx.arm64OnlyDocker;
    assert.equal(docker.root.mediaType, MediaType.dockerManifest);
    const manifest = JSON.parse(docker.rootBytes.toString('utf8')) as {
      mediaType: string;
      config: { mediaType: string };
      layers: { mediaType: string }[];
    };
    assert.equal(manifest.mediaType, MediaType.dockerManifest);
    assert.equal(manifest.config.mediaType, MediaType.dockerConfig);
    assert.deepEqual(
      manifest.layers.map((l) => l.mediaType),
      [MediaType.dockerLayerGzip],
    );
    assert.deepEqual(fx.singlePlatformBuildx.platforms, ['linux/amd64']);
    assert.equal(fx.singlePlatformBuildx.attestations.length, 1);
  });

  test('fixtures are deterministic: a fresh build gives the same digests', async () => {
    const fx = await loadFixtures();
    const out = makeTempDir('fixtures-rebuild');
    try {
      const metas = await buildFixtures(out);
      for (const name of FIXTURE_NAMES) {
        assert.equal(metas[name].root.digest, fx[name].root.digest, name);
        assert.deepEqual(
          metas[name].blobs.map((b) => b.digest),
          fx[name].blobs.map((b) => b.digest),
          name,
        );
      }
    } finally {
      removeTempDir(out);
    }
  });
});

describe('registries', () => {
  test('skopeo pushes the six-platform index byte for byte, and serves it back raw', async (t) => {
    const { multiArch } = await loadFixtures();
    const registry = await useRegistry({}, t);
    const pushed = await pushFixture(registry, multiArch, 'library/multi', 'v1');
    assert.equal(pushed.digest, multiArch.root.digest);
    const raw = await skopeoInspectRaw(registry, 'library/multi', 'v1');
    assert.ok(raw.equals(multiArch.rootBytes), 'skopeo inspect --raw returns the layout index bytes');
    assert.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}`, multiArch.root.digest);
    // Every child, attestations included, is there under its own digest.
    for (const child of multiArch.children) {
      const bytes = await skopeoInspectRaw(registry, 'library/multi', child.digest);
      assert.equal(sha256Digest(bytes), child.digest);
    }
    const log = await registry.requests();
    assert.ok(log.some((e) => e.method === 'PUT' && e.path === '/v2/library/multi/manifests/v1' && e.status === 201));
  });

  test('a Docker schema 2 manifest is pushed over HTTP without conversion', async (t) => {
    const { arm64OnlyDocker } = await loadFixtures();
    const registry = await useRegistry({}, t);
    const pushed = await pushFixture(registry, arm64OnlyDocker);
    assert.equal(pushed.repo, 'fixtures/arm64-only-docker');
    const got = await new RegistryHttpClient(registry).getManifest(pushed.repo, 'latest');
    assert.equal(got.mediaType, MediaType.dockerManifest);
    assert.equal(got.digest, arm64OnlyDocker.root.digest);
    assert.equal(got.headerDigest, arm64OnlyDocker.root.digest);
  });

  test('htpasswd registry refuses anonymous access and accepts the password', async (t) => {
    const { configArchMismatch } = await loadFixtures();
    const registry = await useRegistry({ auth: 'htpasswd' }, t);
    const anon = await registry.fetch('/v2/');
    assert.equal(anon.status, 401);
    assert.equal(parseChallenge(anon.headers.get('www-authenticate') ?? '').scheme, 'basic');
    await anon.body?.cancel();
    const wrong = await registry.fetch('/v2/', { headers: { authorization: basic(registry.username!, 'nope') } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await registry.fetch('/v2/', {
      headers: { authorization: basic(registry.username!, registry.password!) },
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    // skopeo with --dest-creds, and refused without.
    await pushFixture(registry, configArchMismatch);
    await assert.rejects(
      skopeoInspectRaw(registry, fixtureRepo('configArchMismatch'), 'latest', 'anonymous'),
      /unauthorized|authentication required/i,
    );
  });

  test('token registry works through the token server', async (t) => {
    const tokens = await startTokenServer({
      username: 'alice',
      password: 'wonderland',
      expiresIn: 120,
      // Read-only everywhere under readonly/.
      grant: (requested) =>
        requested.name.startsWith('readonly/') ? requested.actions.filter((a) => a === 'pull') : requested.actions,
    });
    t.after(() => tokens.stop());
    const registry = await useRegistry({ auth: 'token', token: tokens, username: 'alice', password: 'wonderland' }, t);
    assert.equal(registry.tokenServer, tokens);

    const challenge = await registry.fetch('/v2/');
    assert.equal(challenge.status, 401);
    await challenge.body?.cancel();
    const { scheme, params } = parseChallenge(challenge.headers.get('www-authenticate') ?? '');
    assert.equal(scheme, 'bearer');
    assert.equal(params['realm'], tokens.realm);
    assert.equal(params['service'], tokens.service);

    // GET form with Basic credentials.
    const before = tokens.count;
    const res = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:demo/app:pull`, {
      headers: { authorization: basic('alice', 'wonderland') },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number };
    assert.equal(body.expires_in, 120);
    assert.equal(body.token, body.access_token);
    assert.equal(tokens.count, before + 1);
    assert.equal(tokens.requests.at(-1)?.account, 'alice');
    assert.deepEqual(tokens.requests.at(-1)?.scopes, ['repository:demo/app:pull']);
    const v2 = await registry.fetch('/v2/', { headers: { authorization: `Bearer ${body.token}` } });
    assert.equal(v2.status, 200);
    await v2.body?.cancel();
    const forged = `${body.token.slice(0, -4)}AAAA`;
    const bad = await registry.fetch('/v2/', { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();

    // Wrong password, anonymous: refused by the token server.
    const wrong = await fetch(`${tokens.realm}?service=${tokens.service}`, {
      headers: { authorization: basic('alice', 'x') },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const anon = await fetch(`${tokens.realm}?service=${tokens.service}`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();

    // OAuth2 POST form: password grant returns a refresh token, which then works on its own.
    const form = (fields: Record<string, string>) =>
      fetch(tokens.realm, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const pw = await form({
      grant_type: 'password',
      username: 'alice',
      password: 'wonderland',
      service: tokens.service,
      scope: 'repository:demo/app:pull,push',
      client_id: 'archfit-test',
    });
    assert.equal(pw.status, 200);
    const pwBody = (await pw.json()) as { access_token: string; refresh_token: string };
    assert.ok(pwBody.refresh_token);
    const refreshed = await form({
      grant_type: 'refresh_token',
      refresh_token: pwBody.refresh_token,
      service: tokens.service,
      scope: 'repository:demo/app:pull',
    });
    assert.equal(refreshed.status, 200);
    const refreshedBody = (await refreshed.json()) as { access_token: string; refresh_token: string };
    assert.equal(refreshedBody.refresh_token, pwBody.refresh_token);
    assert.equal(tokens.requests.at(-1)?.grantType, 'refresh_token');
    assert.equal(tokens.requests.at(-1)?.account, 'alice');

    // Scopes are enforced by the registry: push where only pull is granted fails.
    const client = new RegistryHttpClient(registry);
    await client.pushBlob('demo/app', Buffer.from('hello'));
    await assert.rejects(client.pushBlob('readonly/app', Buffer.from('hello')), /answered 401/);
    assert.ok(client.tokenRequests >= 2);
  });

  test('TLS registry answers with its CA, and skopeo reaches it with --cert-dir', async (t) => {
    const { configArchMismatch } = await loadFixtures();
    const registry = await useRegistry({ tls: true }, t);
    assert.equal(registry.scheme, 'https');
    assert.ok(registry.caFile && existsSync(registry.caFile));
    const ok = await registry.fetch('/v2/');
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    // Without the CA the certificate is not trusted.
    await assert.rejects(fetch(`${registry.url}/v2/`), (e: Error) => /certificate|self.signed/i.test(String(e.cause)));
    const pushed = await pushFixture(registry, configArchMismatch);
    const raw = await skopeoInspectRaw(registry, pushed.repo, 'latest');
    assert.ok(raw.equals(configArchMismatch.rootBytes));
  });

  test('two registries run at once; skopeo copies between them keeping the digest; stop() ends the process', async () => {
    const { singlePlatformBuildx } = await loadFixtures();
    const a = await startRegistry();
    const b = await startRegistry({ auth: 'htpasswd' });
    try {
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.storageDir, b.storageDir);
      await pushFixture(a, singlePlatformBuildx, 'src/app', 'v1');
      a.resetRequests();
      const digest = await skopeoCopy(dockerRef(a, 'src/app', 'v1'), dockerRef(b, 'dst/app', 'v1'), {
        srcRegistry: a,
        destRegistry: b,
      });
      assert.equal(digest, singlePlatformBuildx.root.digest);
      const raw = await skopeoInspectRaw(b, 'dst/app', 'v1');
      assert.ok(raw.equals(singlePlatformBuildx.rootBytes));
      const aLog = await a.requests();
      assert.ok(aLog.length > 0 && aLog.every((e) => e.method === 'GET' || e.method === 'HEAD'));
      const bLog = await b.requests();
      assert.ok(bLog.some((e) => e.method === 'PUT' && e.path === '/v2/dst/app/manifests/v1' && e.status === 201));
    } finally {
      await a.stop();
      await b.stop();
    }
    for (const r of [a, b]) {
      assert.throws(() => process.kill(r.pid, 0), { code: 'ESRCH' });
      assert.equal(existsSync(r.storageDir), false);
      await assert.rejects(fetch(`${r.url}/v2/`));
    }
  });
});
