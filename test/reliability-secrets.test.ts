// Secrets never leak, and credentials go only where they belong. Every way archfit gets a credential (a docker config
// "auth", an identity token, a registry token, a credential helper on PATH) is used by the CLI with --debug against
// real htpasswd and token registries, with sentinel passwords and tokens; nothing it prints (output, debug lines,
// error lines, stacks) may hold a sentinel, in clear, base64 or URL-encoded. Then, against scripted servers: a blob
// redirected to a storage host gets no Authorization, and a token realm on another host gets the Basic credentials
// and exactly the scope challenged, while the registry itself only ever sees the bearer token.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isArchfitError } from '../src/errors.js';
import { defaultCredentialStore } from '../src/registry/credentials/index.js';
import { RegistryClient } from '../src/registry/index.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, type CliRun } from './support/cli.js';
import { type Fixtures, loadFixtures, type PushedFixture, pushFixture } from './support/fixtures.js';
import { startRegistry, type TestRegistry } from './support/registry.js';
import { type ScriptedRegistry, sha256, startScriptedRegistry } from './support/scripted-registry.js';

const USER = 'archfit';
const PASSWORD = 'Sentinel-Pass-7Qm2x9Vb4k';
const WRONG = 'Sentinel-Wrong-3Jd8r1Ws6z';
const REFRESH = 'Sentinel-Refresh-5Tn4c8Lp2h';
const HELPER_SECRET = 'Sentinel-Helper-8Kf3v6Yq1m';
const REALM_TOKEN = 'Sentinel-Realm-Token-2Wx7b5Nd9s';
const SIGNATURE = 'Sentinel-Signature-6Hc1z4Rg8t';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');
/** Every form in which a secret could show up in text. */
function forms(secret: string, user = USER): string[] {
  return [secret, encodeURIComponent(secret), b64(secret), b64url(secret), b64(`${user}:${secret}`)];
}

let fx: Fixtures;
let basic: TestRegistry;
let token: TestRegistry;
let onBasic: PushedFixture;
let onToken: PushedFixture;
const systemPath = process.env['PATH'] ?? '/usr/bin:/bin';

before(async () => {
  fx = await loadFixtures();
  [basic, token] = await Promise.all([
    startRegistry({ auth: 'htpasswd', password: PASSWORD }),
    startRegistry({ auth: 'token', password: PASSWORD }),
  ]);
  [onBasic, onToken] = await Promise.all([
    pushFixture(basic, fx.arm64OnlyDocker),
    pushFixture(token, fx.arm64OnlyDocker),
  ]);
});
after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
});

/** A HOME whose docker config is `config`, and a bin dir for helpers. */
function home(config: unknown): { env: NodeJS.ProcessEnv; bin: string } {
  const dir = makeTempDir('secrets-home');
  mkdirSync(join(dir, '.docker'), { recursive: true });
  writeFileSync(join(dir, '.docker', 'config.json'), JSON.stringify(config));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  return { env: { HOME: dir, PATH: `${bin}${delimiter}${systemPath}` }, bin };
}

function helper(bin: string, name: string, body: string): void {
  const file = join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

interface Scenario {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Expected exit code. */
  code: number;
  /** A pattern the output must show (that the path was really taken). */
  shows: RegExp;
}

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

function assertNoSecret(run: CliRun, secrets: readonly string[], label: string): void {
  const text = `${run.stdout}\n${run.stderr}`;
  for (const s of secrets) {
    assert.ok(!text.includes(s), `${label}: a secret leaked (${s.slice(0, 12)}…):\n${text.slice(0, 3000)}`);
  }
  assert.ok(!JWT.test(text), `${label}: a token leaked: ${JWT.exec(text)?.[0].slice(0, 20)}…`);
}

describe('no credential in any output of the CLI, with --debug', () => {
  test('docker config "auth", identity token, registry token, credential helpers; good and wrong secrets', async () => {
    const server = token.tokenServer!;
    // An identity (refresh) token the token server knows, and a registry token it signed.
    (server.refreshTokens as Map<string, string>).set(REFRESH, USER);
    const registryToken = server.issueToken([{ type: 'repository', name: onToken.repo, actions: ['pull'] }], {
      account: USER,
    });
    const good = home({
      auths: { [basic.host]: { auth: b64(`${USER}:${PASSWORD}`) }, [token.host]: { auth: b64(`${USER}:${PASSWORD}`) } },
    });
    const wrong = home({
      auths: { [basic.host]: { auth: b64(`${USER}:${WRONG}`) }, [token.host]: { auth: b64(`${USER}:${WRONG}`) } },
    });
    const identity = home({ auths: { [token.host]: { identitytoken: REFRESH } } });
    const regToken = home({ auths: { [token.host]: { registrytoken: registryToken } } });
    const helpers = home({ credHelpers: { [basic.host]: 'sentinel', [token.host]: 'sentinel' } });
    helper(
      helpers.bin,
      'sentinel',
      `read -r url\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$url"`,
    );
    const helperToken = home({ credHelpers: { [token.host]: 'idtoken' } });
    helper(
      helperToken.bin,
      'idtoken',
      `read -r url\nprintf '{"ServerURL":"%s","Username":"<token>","Secret":"${REFRESH}"}' "$url"`,
    );
    const failing = home({ credHelpers: { [basic.host]: 'leaky' } });
    // A helper that fails and prints the secret: its output must never be quoted.
    helper(failing.bin, 'leaky', `echo "secret is ${HELPER_SECRET}"; echo "${HELPER_SECRET}" >&2; exit 1`);

    const basicRef = onBasic.reference;
    const tokenRef = onToken.reference;
    const layout = () => `oci:${makeTempDir('secrets-copy')}:v1`;
    const scenarios: Scenario[] = [
      {
        name: 'htpasswd, config auth: inspect',
        args: ['inspect', '--debug', basicRef],
        env: good.env,
        code: 0,
        shows: /password auth/,
      },
      {
        name: 'htpasswd, config auth: copy to another repository (mount) and to the token registry',
        args: ['copy', '--debug', basicRef, `${token.host}/mirror/from-basic:v1`],
        env: good.env,
        code: 0,
        shows: /token: got one/,
      },
      {
        name: 'htpasswd, config auth: copy within the registry',
        args: ['copy', '--debug', basicRef, `${basic.host}/mirror/same:v1`],
        env: good.env,
        code: 0,
        shows: /mounted/,
      },
      {
        name: 'token, config auth: inspect --full',
        args: ['inspect', '--debug', '--full', tokenRef],
        env: good.env,
        code: 0,
        shows: /token: got one/,
      },
      {
        name: 'token, config auth: copy into a layout',
        args: ['copy', '--debug', tokenRef, layout()],
        env: good.env,
        code: 0,
        shows: /token: got one/,
      },
      {
        name: 'htpasswd, wrong password',
        args: ['inspect', '--debug', basicRef],
        env: wrong.env,
        code: 3,
        shows: /UNAUTHORIZED/,
      },
      {
        name: 'token, wrong password',
        args: ['inspect', '--debug', tokenRef],
        env: wrong.env,
        code: 3,
        shows: /UNAUTHORIZED/,
      },
      {
        name: 'token, wrong password, copy',
        args: ['copy', '--debug', tokenRef, `${token.host}/mirror/denied:v1`],
        env: wrong.env,
        code: 3,
        shows: /UNAUTHORIZED/,
      },
      {
        name: 'token, identity token',
        args: ['inspect', '--debug', tokenRef],
        env: identity.env,
        code: 0,
        shows: /token: got one/,
      },
      {
        name: 'token, registry token',
        args: ['inspect', '--debug', tokenRef],
        env: regToken.env,
        code: 0,
        shows: /credentials found/,
      },
      {
        name: 'token, registry token, a repository it does not cover',
        args: ['inspect', '--debug', `${token.host}/other/repo:latest`],
        env: regToken.env,
        code: 3,
        shows: /UNAUTHORIZED|DENIED/,
      },
      {
        name: 'htpasswd, credential helper',
        args: ['inspect', '--debug', basicRef],
        env: helpers.env,
        code: 0,
        shows: /credentials found for user/,
      },
      {
        name: 'token, credential helper, copy',
        args: ['copy', '--debug', tokenRef, `${token.host}/mirror/helper:v1`],
        env: helpers.env,
        code: 0,
        shows: /token: got one/,
      },
      {
        name: 'token, credential helper answering an identity token',
        args: ['inspect', '--debug', tokenRef],
        env: helperToken.env,
        code: 0,
        shows: /token: got one/,
      },
      {
        name: 'a failing helper that prints the secret',
        args: ['inspect', '--debug', basicRef],
        env: failing.env,
        code: 3,
        shows: /CREDENTIAL_HELPER/,
      },
    ];
    const secrets = [...forms(PASSWORD), ...forms(WRONG), ...forms(REFRESH), ...forms(HELPER_SECRET), registryToken];
    secrets.push(registryToken.split('.')[2]!);
    for (const s of scenarios) {
      const run = await archfit(s.args, s.env);
      assert.equal(run.code, s.code, `${s.name}: exit ${run.code}\n${run.stderr.slice(0, 2000)}`);
      assert.match(run.stderr, s.shows, `${s.name}: the path was taken`);
      assert.ok(run.stderr.split('\n').filter((l) => l.startsWith('debug: ')).length >= 3, `${s.name}: debug lines`);
      if (s.code !== 0) assert.match(run.stderr, /^archfit: [A-Z_]+: .+$/m, `${s.name}: the error line`);
      assertNoSecret(run, secrets, s.name);
    }

    // The errors themselves, as a library caller gets them: message, stack, details and the whole cause chain.
    for (const [name, env, ref] of [
      ['wrong password, htpasswd', wrong.env, onBasic],
      ['wrong password, token', wrong.env, onToken],
      ['a failing helper that prints the secret', failing.env, onBasic],
      ['a registry token for another repository', regToken.env, { ...onToken, repo: 'other/repo' }],
    ] as const) {
      const lines: string[] = [];
      const client = new RegistryClient({
        credentials: defaultCredentialStore({ env, homeDir: env.HOME!, ecr: false }),
        log: (l) => lines.push(l),
        retry: { maxAttempts: 1 },
      });
      const host = ref.reference.slice(0, ref.reference.indexOf('/'));
      let texts: string[] = [];
      try {
        await client.repository(host, ref.repo).getManifest(ref.tag);
        assert.fail(`${name}: expected an error`);
      } catch (error) {
        assert.ok(isArchfitError(error), `${name}: ${String(error)}`);
        texts = [...lines];
        let e: unknown = error;
        for (let depth = 0; e instanceof Error && depth < 10; depth++, e = e.cause) {
          texts.push(e.message, String(e.stack), JSON.stringify((e as { details?: unknown }).details ?? {}));
        }
      } finally {
        await client.close();
      }
      assertNoSecret({ code: 3, stdout: '', stderr: texts.join('\n') }, secrets, `library: ${name}`);
    }
  });
});

// --- where credentials go ------------------------------------------------------------------------------------------

/** A tiny image (config + one layer) to serve from scripted registries. */
function tinyImage() {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const layer = Buffer.from('layer bytes '.repeat(200));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  return { config, layer, manifest };
}

describe('credentials go to the registry and to the realm it names, nowhere else', () => {
  let storage: ScriptedRegistry;
  let registry: ScriptedRegistry;
  let realm: ScriptedRegistry;
  let bearerRegistry: ScriptedRegistry;
  const img = tinyImage();
  const basicAuth = `Basic ${b64(`${USER}:${PASSWORD}`)}`;

  before(async () => {
    // The storage host serves blobs at /blob/<digest>; the registry redirects blob GETs there with a signed URL.
    storage = await startScriptedRegistry({
      handler: (req, res) => {
        const digest = /^\/blob\/(sha256:[0-9a-f]{64})/.exec(req.url ?? '')?.[1];
        const bytes = digest === sha256(img.layer) ? img.layer : digest === sha256(img.config) ? img.config : undefined;
        if (!bytes) {
          res.writeHead(404, { 'content-length': '0' });
          res.end();
          return true;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
        res.end(bytes);
        return true;
      },
    });
    registry = await startScriptedRegistry({
      manifests: { 'app:t': { bytes: img.manifest }, [`app@${sha256(img.manifest)}`]: { bytes: img.manifest } },
      handler: (req, res) => {
        if (req.headers.authorization !== basicAuth) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="scripted"', 'content-length': '0' });
          res.end();
          return true;
        }
        const digest = /^\/v2\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
        if (digest && req.method === 'GET') {
          res.writeHead(307, {
            location: `${storage.url}/blob/${digest}?X-Amz-Signature=${SIGNATURE}&X-Amz-Credential=${SIGNATURE}`,
            'content-length': '0',
          });
          res.end();
          return true;
        }
        if (digest && req.method === 'HEAD') {
          const bytes = digest === sha256(img.layer) ? img.layer : img.config;
          res.writeHead(200, { 'content-length': String(bytes.length), 'docker-content-digest': digest });
          res.end();
          return true;
        }
        return false;
      },
    });
    realm = await startScriptedRegistry({
      handler: (req, res) => {
        const body =
          req.headers.authorization === basicAuth
            ? { status: 200, json: { token: REALM_TOKEN, expires_in: 300 } }
            : { status: 401, json: { details: 'incorrect username or password' } };
        const text = JSON.stringify(body.json);
        res.writeHead(body.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return true;
      },
    });
    bearerRegistry = await startScriptedRegistry({
      manifests: { 'app:t': { bytes: img.manifest }, [`app@${sha256(img.manifest)}`]: { bytes: img.manifest } },
      blobs: { [sha256(img.layer)]: { bytes: img.layer }, [sha256(img.config)]: { bytes: img.config } },
      handler: (req, res) => {
        if (req.headers.authorization !== `Bearer ${REALM_TOKEN}`) {
          res.writeHead(401, {
            'www-authenticate': `Bearer realm="${realm.url}/token",service="scripted-registry",scope="repository:app:pull"`,
            'content-length': '0',
          });
          res.end();
          return true;
        }
        return false;
      },
    });
  });
  after(async () => {
    await Promise.all([storage?.close(), registry?.close(), realm?.close(), bearerRegistry?.close()]);
  });

  test('a blob redirected to a storage host: no Authorization there, the signed URL redacted, the copy verified', async () => {
    const { env } = home({ auths: { [registry.host]: { auth: b64(`${USER}:${PASSWORD}`) } } });
    const run = await archfit(
      ['copy', '--debug', `${registry.host}/app:t`, `oci:${makeTempDir('redirect')}:v1`, '--json'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const got = storage.requests.filter((r) => r.path.startsWith('/blob/'));
    assert.ok(got.length >= 2, `the blobs were fetched from the storage host (${got.length})`);
    for (const r of got) {
      assert.equal(r.headers.authorization, undefined, `Authorization sent to the storage host: ${r.path}`);
      assert.equal(r.headers.cookie, undefined);
    }
    assert.ok(
      registry.requests.filter((r) => r.path !== '/v2/').every((r) => r.headers.authorization === basicAuth),
      'the registry itself got the credentials',
    );
    assert.match(run.stderr, /redirected to/);
    assertNoSecret(run, [...forms(PASSWORD), SIGNATURE], 'redirect');
  });

  test('a token realm on another host: Basic credentials only there, the challenged scope only; the registry sees the bearer', async () => {
    const { env } = home({ auths: { [bearerRegistry.host]: { auth: b64(`${USER}:${PASSWORD}`) } } });
    const inspect = await archfit(['inspect', '--debug', `${bearerRegistry.host}/app:t`, '--json'], env);
    assert.equal(inspect.code, 0, inspect.stderr);
    const copy = await archfit(
      ['copy', '--debug', `${bearerRegistry.host}/app:t`, `oci:${makeTempDir('realm')}:v1`],
      env,
    );
    assert.equal(copy.code, 0, copy.stderr);

    assert.ok(realm.requests.length >= 1, 'a token was asked for');
    for (const r of realm.requests) {
      const url = new URL(r.path, realm.url);
      assert.equal(url.pathname, '/token');
      assert.equal(r.headers.authorization, basicAuth, 'Basic credentials go to the realm');
      assert.equal(url.searchParams.get('service'), 'scripted-registry');
      assert.deepEqual(url.searchParams.getAll('scope'), ['repository:app:pull'], 'exactly the scope challenged');
    }
    for (const r of bearerRegistry.requests) {
      const auth = r.headers.authorization;
      assert.ok(
        auth === undefined || auth === `Bearer ${REALM_TOKEN}`,
        `the registry got ${String(auth).slice(0, 10)}…`,
      );
    }
    for (const run of [inspect, copy]) assertNoSecret(run, [...forms(PASSWORD), REALM_TOKEN], 'realm');
  });
});
