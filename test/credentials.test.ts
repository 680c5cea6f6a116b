// Credential sources against real parts: config files in temp home dirs, credential helper programs on a temp PATH,
// and the AWS SDK talking to a local stand-in for the ECR API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ArchfitError, isArchfitError } from '../src/errors.js';
import type { Credential } from '../src/registry/credential-types.js';
import {
  authFileCredentials,
  chainCredentialStores,
  createEcrRepository,
  credentialFiles,
  defaultCredentialStore,
  dockerConfigCredentials,
  type EcrApi,
  ecrCredentials,
  type HelperRequest,
  parseEcrHost,
  staticCredentials,
} from '../src/registry/credentials/index.js';
import { makeTempDir } from './support/cleanup.js';

const execFileAsync = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// The AWS SDK's Node-version notice must never reach a user; collect every process warning to check that.
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(`${warning.name}: ${warning.message}`));

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function writeJson(path: string, value: unknown): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
}

/** A home dir with ~/.docker/config.json holding `config` (nothing written when undefined). */
function homeWith(config?: unknown): string {
  const home = makeTempDir('cred-home');
  if (config !== undefined) writeJson(join(home, '.docker', 'config.json'), config);
  return home;
}

/** Writes an executable `docker-credential-<name>` shell script into `dir`. */
function writeHelper(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const systemPath = process.env['PATH'] ?? '';

/** Asserts that `promise` rejects with an ArchfitError of `code`, and returns the error. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ArchfitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isArchfitError(error), `expected an ArchfitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a ${code} error`);
}

/** Everything a caller could see of an error: message, details, the cause chain and stack. */
function visibleText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? '');
      if (isArchfitError(current)) parts.push(JSON.stringify(current.details));
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join('\n');
}

describe('docker config.json', () => {
  test('"auth" is base64 user:password; a host with no entry is anonymous', async () => {
    const home = homeWith({ auths: { 'ghcr.io': { auth: b64('octo:p:a:ss') } } });
    const store = dockerConfigCredentials({ env: {}, homeDir: home });
    assert.deepEqual(await store.get('ghcr.io'), { username: 'octo', password: 'p:a:ss' });
    assert.deepEqual(await store.get('GHCR.IO'), { username: 'octo', password: 'p:a:ss' });
    assert.equal(await store.get('quay.io'), undefined);
  });

  test('username/password, identitytoken and registrytoken entries', async () => {
    const home = homeWith({
      auths: {
        'a.example': { username: 'alice', password: 'secret-a' },
        'b.example': { auth: b64('bob:'), identitytoken: 'refresh-b' },
        'c.example': { registrytoken: 'bearer-c' },
        'd.example': { auth: b64('dan:from-auth'), username: 'ignored', password: 'ignored' },
      },
    });
    const store = dockerConfigCredentials({ env: {}, homeDir: home });
    assert.deepEqual(await store.get('a.example'), { username: 'alice', password: 'secret-a' });
    assert.deepEqual(await store.get('b.example'), { username: 'bob', identityToken: 'refresh-b' });
    assert.deepEqual(await store.get('c.example'), { registryToken: 'bearer-c' });
    assert.deepEqual(await store.get('d.example'), { username: 'dan', password: 'from-auth' });
  });

  test("Docker Hub's legacy key serves docker.io and its other names", async () => {
    const home = homeWith({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') } } });
    const store = dockerConfigCredentials({ env: {}, homeDir: home });
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      assert.deepEqual(await store.get(host), { username: 'hubuser', password: 'hubpass' }, host);
    }
    assert.equal(await store.get('index.docker.io.example'), undefined);
  });

  test('keys with a scheme or an API path are read as their host', async () => {
    const home = homeWith({
      auths: {
        'http://plain.example:5000': { auth: b64('u1:p1') },
        'v2host.example:5000/v2/': { auth: b64('u2:p2') },
        'https://tls.example/some/path': { auth: b64('u3:p3') },
        '127.0.0.1:5000': { auth: b64('u4:p4') },
      },
    });
    const store = dockerConfigCredentials({ env: {}, homeDir: home });
    assert.deepEqual(await store.get('plain.example:5000'), { username: 'u1', password: 'p1' });
    assert.deepEqual(await store.get('v2host.example:5000'), { username: 'u2', password: 'p2' });
    assert.deepEqual(await store.get('tls.example'), { username: 'u3', password: 'p3' });
    assert.deepEqual(await store.get('127.0.0.1:5000'), { username: 'u4', password: 'p4' });
    // The port is part of the registry's name.
    assert.equal(await store.get('plain.example'), undefined);
    assert.equal(await store.get('127.0.0.1:5001'), undefined);
  });

  test('$DOCKER_CONFIG replaces ~/.docker', async () => {
    const home = homeWith({ auths: { 'ghcr.io': { auth: b64('home:home') } } });
    const dockerConfig = makeTempDir('cred-dockerconfig');
    writeJson(join(dockerConfig, 'config.json'), { auths: { 'ghcr.io': { auth: b64('env:env') } } });
    const store = dockerConfigCredentials({ env: { DOCKER_CONFIG: dockerConfig }, homeDir: home });
    assert.deepEqual(await store.get('ghcr.io'), { username: 'env', password: 'env' });
    const unset = dockerConfigCredentials({ env: { DOCKER_CONFIG: '' }, homeDir: home });
    assert.deepEqual(await unset.get('ghcr.io'), { username: 'home', password: 'home' });
  });

  test('missing files and an empty file mean anonymous', async () => {
    assert.equal(await dockerConfigCredentials({ env: {}, homeDir: homeWith() }).get('ghcr.io'), undefined);
    assert.equal(await dockerConfigCredentials({ env: {}, homeDir: homeWith('') }).get('ghcr.io'), undefined);
  });

  test('a file that is not JSON is an error that quotes the path, never the content', async () => {
    const home = homeWith('{"auths": {"ghcr.io": {"auth": "c2VjcmV0LXZhbHVl", "password": "hunter2-secret" oops}}}');
    const error = await rejectsWith(
      dockerConfigCredentials({ env: {}, homeDir: home }).get('ghcr.io'),
      'INVALID_ARGUMENT',
    );
    assert.match(error.message, /config\.json" is not valid JSON \(line 1, column \d+\)/);
    assert.doesNotMatch(visibleText(error), /hunter2|c2VjcmV0/);
  });

  test('an "auth" that is not base64 user:password is an error without its value', async () => {
    const home = homeWith({ auths: { 'ghcr.io': { auth: b64('no-colon-secret-value') } } });
    const error = await rejectsWith(
      dockerConfigCredentials({ env: {}, homeDir: home }).get('ghcr.io'),
      'INVALID_ARGUMENT',
    );
    assert.match(error.message, /"ghcr\.io" that is not base64 of user:password/);
    assert.doesNotMatch(visibleText(error), /no-colon-secret-value|bm8tY29sb24/);
    // A broken entry for another registry does not matter.
    assert.equal(await dockerConfigCredentials({ env: {}, homeDir: home }).get('quay.io'), undefined);
  });
});

describe('containers auth files', () => {
  test('docker config, then $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR, then $XDG_CONFIG_HOME', async () => {
    const home = homeWith({ auths: { 'one.example': { auth: b64('docker:1') } } });
    const authFile = writeJson(join(makeTempDir('cred-authfile'), 'auth.json'), {
      auths: { 'one.example': { auth: b64('authfile:1') }, 'two.example': { auth: b64('authfile:2') } },
    });
    const runtimeDir = makeTempDir('cred-runtime');
    writeJson(join(runtimeDir, 'containers', 'auth.json'), {
      auths: {
        'two.example': { auth: b64('runtime:2') },
        'three.example': { auth: b64('runtime:3') },
      },
    });
    const configHome = makeTempDir('cred-config');
    writeJson(join(configHome, 'containers', 'auth.json'), {
      auths: { 'three.example': { auth: b64('config:3') }, 'four.example': { auth: b64('config:4') } },
    });
    const env = { REGISTRY_AUTH_FILE: authFile, XDG_RUNTIME_DIR: runtimeDir, XDG_CONFIG_HOME: configHome };
    const store = dockerConfigCredentials({ env, homeDir: home });
    assert.deepEqual(await store.get('one.example'), { username: 'docker', password: '1' });
    assert.deepEqual(await store.get('two.example'), { username: 'authfile', password: '2' });
    assert.deepEqual(await store.get('three.example'), { username: 'runtime', password: '3' });
    assert.deepEqual(await store.get('four.example'), { username: 'config', password: '4' });
    assert.deepEqual(credentialFiles(env, home), [
      join(home, '.docker', 'config.json'),
      authFile,
      join(runtimeDir, 'containers', 'auth.json'),
      join(configHome, 'containers', 'auth.json'),
    ]);
    // Without $XDG_CONFIG_HOME podman's fallback is ~/.config.
    assert.equal(credentialFiles({}, home).at(-1), join(home, '.config', 'containers', 'auth.json'));
  });

  test('repository-scoped keys: the most specific match wins, and only for that repository', async () => {
    const authFile = writeJson(join(makeTempDir('cred-scoped'), 'auth.json'), {
      auths: {
        'quay.io': { auth: b64('host:h') },
        'quay.io/org': { auth: b64('org:o') },
        'quay.io/org/app': { auth: b64('app:a') },
        'registry.example/team': { auth: b64('team:t') },
      },
    });
    const store = authFileCredentials({ path: authFile, env: {} });
    assert.deepEqual(await store.get('quay.io'), { username: 'host', password: 'h' });
    assert.deepEqual(await store.get('quay.io', { repository: 'org/app' }), { username: 'app', password: 'a' });
    assert.deepEqual(await store.get('quay.io', { repository: 'org/other' }), { username: 'org', password: 'o' });
    assert.deepEqual(await store.get('quay.io', { repository: 'organic/x' }), { username: 'host', password: 'h' });
    assert.equal(await store.get('registry.example'), undefined);
    assert.deepEqual(await store.get('registry.example', { repository: 'team/x' }), {
      username: 'team',
      password: 't',
    });
  });
});

describe('credential helpers', () => {
  /** A helper that logs each server URL it is asked about and answers for a few. */
  function loggingHelper(dir: string, name: string): { log: string; asked: () => string[] } {
    const log = join(dir, `${name}.log`);
    writeHelper(
      dir,
      name,
      `[ "$1" = get ] || exit 3
read -r url || true
printf '%s\\n' "$url" >> '${log}'
case "$url" in
  ghcr.io) printf '{"ServerURL":"%s","Username":"octo","Secret":"helper-pass"}' "$url" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token"}' "$url" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`,
    );
    return {
      log,
      asked: () => {
        try {
          return readFileSync(log, 'utf8').split('\n').filter(Boolean);
        } catch {
          return [];
        }
      },
    };
  }

  test('credHelpers[host] runs docker-credential-<name> get with the server URL on stdin', async () => {
    const bin = makeTempDir('cred-bin');
    const helper = loggingHelper(bin, 'test');
    const home = homeWith({ credHelpers: { 'ghcr.io': 'test', 'docker.io': 'test', 'quay.io': 'test' } });
    const store = dockerConfigCredentials({ env: { PATH: `${bin}${delimiter}${systemPath}` }, homeDir: home });
    assert.deepEqual(await store.get('ghcr.io'), { username: 'octo', password: 'helper-pass' });
    // Docker Hub is asked about by its legacy key; Username "<token>" means an identity token.
    assert.deepEqual(await store.get('docker.io'), { identityToken: 'refresh-token' });
    // "credentials not found" is anonymous, not an error.
    assert.equal(await store.get('quay.io'), undefined);
    assert.deepEqual(helper.asked(), ['ghcr.io', 'https://index.docker.io/v1/', 'quay.io']);
    // Answers are kept for the life of the store: no second run.
    assert.deepEqual(await store.get('ghcr.io'), { username: 'octo', password: 'helper-pass' });
    assert.equal(await store.get('quay.io'), undefined);
    assert.equal(helper.asked().length, 3);
  });

  test('credsStore serves every registry, an empty {} entry included; credHelpers[host] comes first', async () => {
    const bin = makeTempDir('cred-bin');
    const store1 = loggingHelper(bin, 'store');
    const helper = loggingHelper(bin, 'special');
    const home = homeWith({
      credsStore: 'store',
      credHelpers: { 'https://ghcr.io': 'special' },
      auths: { 'ghcr.io': {}, 'https://index.docker.io/v1/': {}, 'fallback.example': { auth: b64('file:pw') } },
    });
    const store = dockerConfigCredentials({ env: { PATH: `${bin}${delimiter}${systemPath}` }, homeDir: home });
    assert.deepEqual(await store.get('ghcr.io'), { username: 'octo', password: 'helper-pass' });
    assert.deepEqual(await store.get('docker.io'), { identityToken: 'refresh-token' });
    // The store has nothing for it: the auths entry in the file answers.
    assert.deepEqual(await store.get('fallback.example'), { username: 'file', password: 'pw' });
    assert.equal(await store.get('nothing.example'), undefined);
    assert.deepEqual(helper.asked(), ['ghcr.io']);
    assert.deepEqual(store1.asked(), ['https://index.docker.io/v1/', 'fallback.example', 'nothing.example']);
  });

  test('a helper not on the passed PATH is a CREDENTIAL_HELPER error naming it', async () => {
    const bin = makeTempDir('cred-bin');
    loggingHelper(bin, 'elsewhere');
    const home = homeWith({ credHelpers: { 'ghcr.io': 'elsewhere' } });
    const error = await rejectsWith(
      dockerConfigCredentials({ env: { PATH: systemPath }, homeDir: home }).get('ghcr.io'),
      'CREDENTIAL_HELPER',
    );
    assert.match(
      error.message,
      /^credential helper "docker-credential-elsewhere" was not found on PATH \(set by "credHelpers" "ghcr\.io" in ".+config\.json"\)$/,
    );
    // The same config with the helper's directory on the passed PATH works.
    const found = dockerConfigCredentials({ env: { PATH: `${systemPath}${delimiter}${bin}` }, homeDir: home });
    assert.deepEqual(await found.get('ghcr.io'), { username: 'octo', password: 'helper-pass' });
    // A helper name that is a path is refused before anything runs.
    const sneaky = homeWith({ credsStore: '../../bin/sh' });
    await rejectsWith(
      dockerConfigCredentials({ env: { PATH: systemPath }, homeDir: sneaky }).get('x.example'),
      'CREDENTIAL_HELPER',
    );
  });

  test('a failing helper: the message names it and its exit code, never its output', async () => {
    const bin = makeTempDir('cred-bin');
    writeHelper(
      bin,
      'leaky',
      `echo '{"Username":"octo","Secret":"TOP-SECRET-PASSWORD-1"}'
echo 'error: token TOP-SECRET-PASSWORD-1 rejected' >&2
exit 7`,
    );
    writeHelper(bin, 'garbled', `echo 'Username=octo Secret=TOP-SECRET-PASSWORD-2'`);
    const home = homeWith({ credHelpers: { 'ghcr.io': 'leaky', 'quay.io': 'garbled' } });
    const store = dockerConfigCredentials({ env: { PATH: `${bin}${delimiter}${systemPath}` }, homeDir: home });
    const failed = await rejectsWith(store.get('ghcr.io'), 'CREDENTIAL_HELPER');
    assert.match(failed.message, /"docker-credential-leaky" failed with exit code 7/);
    assert.doesNotMatch(visibleText(failed), /TOP-SECRET/);
    const garbled = await rejectsWith(store.get('quay.io'), 'CREDENTIAL_HELPER');
    assert.match(garbled.message, /"docker-credential-garbled" answered with something other than/);
    assert.doesNotMatch(visibleText(garbled), /TOP-SECRET/);
  });

  test('a helper that does not answer in time is killed and reported', async () => {
    const bin = makeTempDir('cred-bin');
    const pidFile = join(bin, 'pid');
    writeHelper(bin, 'slow', `echo $$ > '${pidFile}'\nexec sleep 30`);
    const home = homeWith({ credHelpers: { 'ghcr.io': 'slow' } });
    const env = { PATH: `${bin}${delimiter}${systemPath}` };
    const started = Date.now();
    const error = await rejectsWith(
      dockerConfigCredentials({ env, homeDir: home, helperTimeoutMs: 300 }).get('ghcr.io'),
      'CREDENTIAL_HELPER',
    );
    assert.match(error.message, /"docker-credential-slow" did not answer within 0\.3 s/);
    assert.ok(Date.now() - started < 5000);
    await assertKilled(Number(readFileSync(pidFile, 'utf8')));
  });

  test("the caller's AbortSignal stops a helper run", async () => {
    const bin = makeTempDir('cred-bin');
    const pidFile = join(bin, 'pid');
    writeHelper(bin, 'slow', `echo $$ > '${pidFile}'\nexec sleep 30`);
    const home = homeWith({ credHelpers: { 'ghcr.io': 'slow' } });
    const store = dockerConfigCredentials({ env: { PATH: `${bin}${delimiter}${systemPath}` }, homeDir: home });
    const controller = new AbortController();
    const pending = store.get('ghcr.io', { signal: controller.signal });
    await waitFor(() => readFileSafe(pidFile) !== '');
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await assertKilled(Number(readFileSafe(pidFile)));
    await assert.rejects(store.get('ghcr.io', { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  test('a replacement runner gets the program name, "get", the server URL and the passed env', async () => {
    const requests: HelperRequest[] = [];
    const home = homeWith({ credsStore: 'fake' });
    const store = dockerConfigCredentials({
      env: { PATH: '/nowhere', FOO: 'bar' },
      homeDir: home,
      runHelper: async (request) => {
        requests.push(request);
        return { exitCode: 0, stdout: '{"ServerURL":"x","Username":"u","Secret":"s"}', stderr: '' };
      },
    });
    assert.deepEqual(await store.get('localhost:5000'), { username: 'u', password: 's' });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.program, 'docker-credential-fake');
    assert.deepEqual(requests[0]?.args, ['get']);
    assert.equal(requests[0]?.input, 'localhost:5000');
    assert.equal(requests[0]?.env['FOO'], 'bar');
  });
});

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) assert.fail('timed out waiting');
    await sleep(20);
  }
}

/** The process is gone (killed and reaped) within a short while. */
async function assertKilled(pid: number): Promise<void> {
  assert.ok(pid > 0);
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

describe('explicit credentials and chains', () => {
  test('staticCredentials reads keys like docker config keys', async () => {
    const store = staticCredentials({
      'https://index.docker.io/v1/': { username: 'hub', password: 'h' },
      'localhost:5000': { registryToken: 't' },
    });
    assert.deepEqual(await store.get('docker.io'), { username: 'hub', password: 'h' });
    assert.deepEqual(await store.get('localhost:5000'), { registryToken: 't' });
    assert.equal(await store.get('localhost:5001'), undefined);
    const fromMap = staticCredentials(new Map([['ghcr.io', { username: 'm', password: 'm' }]]));
    assert.deepEqual(await fromMap.get('ghcr.io'), { username: 'm', password: 'm' });
  });

  test('chainCredentialStores: the first answer wins; errors stop the chain', async () => {
    const first = staticCredentials({ 'a.example': { username: 'first', password: '1' } });
    const second = staticCredentials({
      'a.example': { username: 'second', password: '2' },
      'b.example': { username: 'second', password: '2' },
    });
    const chain = chainCredentialStores(first, second);
    assert.equal((await chain.get('a.example'))?.username, 'first');
    assert.equal((await chain.get('b.example'))?.username, 'second');
    assert.equal(await chain.get('c.example'), undefined);
    const failing = { get: async () => Promise.reject(new Error('boom')) };
    await assert.rejects(chainCredentialStores(failing, second).get('b.example'), /boom/);
  });
});

describe('parseEcrHost', () => {
  const table: [string, ReturnType<typeof parseEcrHost>][] = [
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', { accountId: '123456789012', region: 'eu-west-1', fips: false }],
    ['123456789012.dkr.ecr.US-EAST-1.AMAZONAWS.COM', { accountId: '123456789012', region: 'us-east-1', fips: false }],
    [
      '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com',
      { accountId: '123456789012', region: 'us-gov-west-1', fips: true },
    ],
    [
      '123456789012.dkr.ecr-fips.us-east-2.amazonaws.com',
      { accountId: '123456789012', region: 'us-east-2', fips: true },
    ],
    [
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
      { accountId: '123456789012', region: 'cn-north-1', fips: false },
    ],
    [
      '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
      { accountId: '123456789012', region: 'cn-northwest-1', fips: false },
    ],
    ['123456789012.dkr-ecr.eu-central-1.on.aws', { accountId: '123456789012', region: 'eu-central-1', fips: false }],
    [
      '123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov',
      { accountId: '123456789012', region: 'us-iso-east-1', fips: false },
    ],
    ['public.ecr.aws', undefined],
    ['ecr.eu-west-1.amazonaws.com', undefined],
    ['12345678901.dkr.ecr.eu-west-1.amazonaws.com', undefined],
    ['1234567890123.dkr.ecr.eu-west-1.amazonaws.com', undefined],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com:443', undefined],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example', undefined],
    ['evil.example/123456789012.dkr.ecr.eu-west-1.amazonaws.com', undefined],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.org', undefined],
    ['docker.io', undefined],
    ['localhost:5000', undefined],
    ['', undefined],
  ];
  for (const [host, expected] of table) {
    test(JSON.stringify(host), () => assert.deepEqual(parseEcrHost(host), expected));
  }
});

import {
  ACCOUNT,
  AWS_SECRET,
  ECR_HOST,
  type EcrStandIn,
  startEcrStandIn,
  TARGET_PREFIX,
} from './support/ecr-stand-in.js';

/** The environment an ECR user would have: static keys and a region (a different one, to see the host's wins). */
function awsEnv(standIn: EcrStandIn, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: systemPath,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_ECR: standIn.url,
    ...extra,
  };
}

describe('Amazon ECR', () => {
  let standIn: EcrStandIn;
  const password = `ecr-password-${'x'.repeat(40)}`;

  test('setup', async () => {
    standIn = await startEcrStandIn(password);
  });
  after(async () => standIn?.close());

  test('an ECR host gets AWS:<password> from GetAuthorizationToken, then from the cache', async () => {
    standIn.requests.length = 0;
    const store = defaultCredentialStore({ env: awsEnv(standIn), homeDir: homeWith() });
    const credential = (await store.get(ECR_HOST)) as Credential;
    assert.equal(credential.username, 'AWS');
    assert.equal(credential.password, password);
    assert.ok(credential.expiresAt instanceof Date);
    assert.ok(credential.expiresAt.getTime() > Date.now() + 11 * 3600_000);
    assert.equal(standIn.requests.length, 1);
    const request = standIn.requests[0]!;
    assert.equal(request.target, `${TARGET_PREFIX}GetAuthorizationToken`);
    // Signed with the passed keys, for the host's region (not AWS_REGION) and the ecr service.
    assert.match(request.authorization, /Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/ecr\/aws4_request/);
    // Concurrent and later lookups are served from one request.
    const again = await Promise.all([store.get(ECR_HOST), store.get(ECR_HOST), store.get(ECR_HOST.toUpperCase())]);
    for (const c of again) assert.equal(c?.password, password);
    assert.equal(standIn.requests.length, 1);
    // Other hosts never reach ECR.
    assert.equal(await store.get('ghcr.io'), undefined);
    assert.equal(await store.get(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com.evil.example`), undefined);
    assert.equal(standIn.requests.length, 1);
  });

  test('a token is fetched again shortly before it expires (injected clock)', async () => {
    standIn.requests.length = 0;
    let now = Date.now();
    const store = ecrCredentials({ env: awsEnv(standIn), homeDir: homeWith(), now: () => now });
    await store.get(ECR_HOST);
    now += 11 * 3600_000; // 1 h left: still good
    await store.get(ECR_HOST);
    assert.equal(standIn.requests.length, 1);
    now += 50 * 60_000; // 10 min left, inside the 15 min margin
    await store.get(ECR_HOST);
    assert.equal(standIn.requests.length, 2);
    // Another account or region is another token.
    await store.get(`${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`);
    await store.get(`210987654321.dkr.ecr.eu-west-1.amazonaws.com`);
    assert.equal(standIn.requests.length, 4);
  });

  test('a docker config credential for an ECR host wins over the built-in token', async () => {
    standIn.requests.length = 0;
    const home = homeWith({ auths: { [ECR_HOST]: { auth: b64('AWS:from-docker-config') } } });
    const store = defaultCredentialStore({ env: awsEnv(standIn), homeDir: home });
    assert.deepEqual(await store.get(ECR_HOST), { username: 'AWS', password: 'from-docker-config' });
    assert.equal(standIn.requests.length, 0);
    // ecr: false turns the built-in off.
    const off = defaultCredentialStore({ env: awsEnv(standIn), homeDir: homeWith(), ecr: false });
    assert.equal(await off.get(ECR_HOST), undefined);
    assert.equal(standIn.requests.length, 0);
  });

  test('AWS_ENDPOINT_URL is the fallback endpoint; given credentials replace the environment', async () => {
    standIn.requests.length = 0;
    const { AWS_ENDPOINT_URL_ECR: url, ...rest } = awsEnv(standIn);
    const store = ecrCredentials({ env: { ...rest, AWS_ENDPOINT_URL: url! }, homeDir: homeWith() });
    assert.equal((await store.get(ECR_HOST))?.password, password);
    const given = ecrCredentials({
      env: { AWS_ENDPOINT_URL_ECR: standIn.url },
      homeDir: homeWith(),
      credentials: async () => ({ accessKeyId: 'AKIAGIVENEXAMPLE0000', secretAccessKey: AWS_SECRET }),
    });
    assert.equal((await given.get(ECR_HOST))?.password, password);
    assert.equal(standIn.requests.length, 2);
    assert.match(standIn.requests[1]!.authorization, /Credential=AKIAGIVENEXAMPLE0000\//);
  });

  test('ECR errors are ECR_ERROR with the AWS error name, and never a key or token', async () => {
    const store = () =>
      ecrCredentials({ env: awsEnv(standIn, { AWS_SESSION_TOKEN: 'Session-Token-Short-1234' }), homeDir: homeWith() });
    standIn.failWith = {
      status: 400,
      type: 'AccessDeniedException',
      message: `User: arn:aws:iam::${ACCOUNT}:user/ci is not authorized to perform: ecr:GetAuthorizationToken`,
    };
    try {
      const denied = await rejectsWith(store().get(ECR_HOST), 'ECR_ERROR');
      assert.match(denied.message, /AccessDeniedException: User: arn:aws:iam::123456789012:user\/ci is not authorized/);
      assert.match(denied.message, new RegExp(ECR_HOST.replace(/\./g, '\\.')));
      standIn.failWith = {
        status: 403,
        type: 'InvalidSignatureException',
        message: `The request signature we calculated does not match. ${AWS_SECRET} token=Session-Token-Short-1234\nThe Canonical String for this request should have been\nx-amz-security-token:${'S'.repeat(300)}`,
      };
      const signature = await rejectsWith(store().get(ECR_HOST), 'ECR_ERROR');
      assert.match(signature.message, /InvalidSignatureException: The request signature we calculated does not match/);
      assert.doesNotMatch(
        visibleText(signature),
        new RegExp(`${AWS_SECRET}|Session-Token-Short|SSSSSSSSSSSSSSSS|Canonical`),
      );
    } finally {
      delete standIn.failWith;
    }
  });

  test('an aborted lookup rejects at once; a concurrent one still gets the token', async () => {
    standIn.requests.length = 0;
    standIn.delayMs = 300;
    try {
      const store = ecrCredentials({ env: awsEnv(standIn), homeDir: homeWith() });
      const controller = new AbortController();
      const aborted = store.get(ECR_HOST, { signal: controller.signal });
      const patient = store.get(ECR_HOST);
      controller.abort();
      await assert.rejects(aborted, { name: 'AbortError' });
      assert.equal((await patient)?.password, password);
      assert.equal(standIn.requests.length, 1);
      // Alone, an abort cancels the request itself, without waiting for the answer.
      standIn.delayMs = 5000;
      const lone = ecrCredentials({ env: awsEnv(standIn), homeDir: homeWith() });
      const started = Date.now();
      await assert.rejects(lone.get(ECR_HOST, { signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' });
      assert.ok(Date.now() - started < 2500);
    } finally {
      standIn.delayMs = 0;
    }
  });

  test('createEcrRepository: created, then already there, both succeed', async () => {
    standIn.requests.length = 0;
    const options = { host: ECR_HOST, repository: 'team/app', env: awsEnv(standIn), homeDir: homeWith() };
    assert.deepEqual(await createEcrRepository(options), { created: true });
    assert.deepEqual(await createEcrRepository(options), { created: false });
    assert.equal(standIn.requests.length, 2);
    for (const request of standIn.requests) {
      assert.equal(request.target, `${TARGET_PREFIX}CreateRepository`);
      assert.equal(request.body['repositoryName'], 'team/app');
    }
    await rejectsWith(createEcrRepository({ ...options, host: 'ghcr.io' }), 'INVALID_ARGUMENT');
  });

  test('an injected API factory gets the region, FIPS flag, endpoint and credentials', async () => {
    const configs: unknown[] = [];
    const api: EcrApi = {
      getAuthorizationToken: async () => ({ authorizationToken: b64('AWS:injected'), expiresAt: undefined }),
      createRepository: async () => ({ created: true }),
    };
    const store = ecrCredentials({
      env: {},
      createApi: (config) => {
        configs.push({ region: config.region, fips: config.fips, endpoint: config.endpoint });
        return api;
      },
    });
    assert.equal((await store.get(`${ACCOUNT}.dkr.ecr-fips.us-east-2.amazonaws.com`))?.password, 'injected');
    // No expiry: not kept.
    await store.get(`${ACCOUNT}.dkr.ecr-fips.us-east-2.amazonaws.com`);
    assert.deepEqual(configs, [
      { region: 'us-east-2', fips: true, endpoint: undefined },
      { region: 'us-east-2', fips: true, endpoint: undefined },
    ]);
  });

  test("the SDK's Node-version notice is not shown, and process.env is left as it was", () => {
    assert.deepEqual(
      warnings.filter((w) => /NodeVersionSupport|AWS SDK/i.test(w)),
      [],
    );
    assert.equal(process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'], undefined);
    // The SDK was really used by the tests above.
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(loaded.some((file) => file.includes('@aws-sdk/client-ecr')));
  });
});

test('the AWS SDK is loaded only when an ECR host is looked up', async () => {
  const standIn = await startEcrStandIn('lazy-password');
  try {
    const script = `
      import { createRequire } from 'node:module';
      const sdkLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('@aws-sdk'));
      const m = await import(${JSON.stringify(join(root, 'src/registry/credentials/index.ts'))});
      const out = { afterImport: sdkLoaded() };
      const store = m.defaultCredentialStore({ env: JSON.parse(process.env.TEST_ENV), homeDir: process.env.TEST_HOME });
      await store.get('ghcr.io');
      await store.get('docker.io');
      out.afterOtherHosts = sdkLoaded();
      const injected = m.ecrCredentials({ env: {}, createApi: () => ({
        getAuthorizationToken: async () => ({ authorizationToken: Buffer.from('AWS:x').toString('base64') }),
        createRepository: async () => ({ created: true }),
      }) });
      await injected.get(${JSON.stringify(ECR_HOST)});
      out.afterInjected = sdkLoaded();
      out.password = (await store.get(${JSON.stringify(ECR_HOST)})).password;
      out.afterEcr = sdkLoaded();
      console.log(JSON.stringify(out));
    `;
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: root,
        env: {
          ...process.env,
          NODE_TEST_CONTEXT: undefined,
          TEST_ENV: JSON.stringify(awsEnv(standIn)),
          TEST_HOME: homeWith(),
        },
      },
    );
    assert.deepEqual(JSON.parse(stdout), {
      afterImport: false,
      afterOtherHosts: false,
      afterInjected: false,
      password: 'lazy-password',
      afterEcr: true,
    });
    // Nor does the SDK's Node-version notice reach the user of a fresh process.
    assert.doesNotMatch(stderr, /NodeVersionSupportWarning/);
  } finally {
    await standIn.close();
  }
});
