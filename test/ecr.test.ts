import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from '../src/inspect/index.js';
import { defaultCredentialStore } from '../src/registry/credentials/index.js';
import { RegistryClient } from '../src/registry/index.js';
import { archfit, jsonOf } from './support/cli.js';
import { AWS_SECRET, ECR_HOST, type EcrStandIn, startEcrStandIn, TARGET_PREFIX } from './support/ecr-stand-in.js';
import { type Fixtures, loadFixtures, pushFixture } from './support/fixtures.js';
import { startRegistry, type TestRegistry } from './support/registry.js';

// The registry's htpasswd holds AWS:<password>, the password the ECR API stand-in hands out, and the ECR name of the
// registry is mapped to its loopback address: the whole ECR login path, with the real AWS SDK.
const password = `ecr-token-password-${'p'.repeat(24)}`;
let ecr: TestRegistry;
let upstream: TestRegistry;
let standIn: EcrStandIn;
let fx: Fixtures;
let multiArch: string;

const awsEnv = (): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: AWS_SECRET,
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL_ECR: standIn.url,
});

before(async () => {
  fx = await loadFixtures();
  [ecr, upstream] = await Promise.all([
    startRegistry({ auth: 'htpasswd', username: 'AWS', password }),
    startRegistry(),
  ]);
  standIn = await startEcrStandIn(password);
  multiArch = (await pushFixture(upstream, fx.multiArch)).reference;
});
after(async () => {
  await Promise.all([ecr?.stop(), upstream?.stop(), standIn?.close()]);
});

describe('Amazon ECR, end to end', () => {
  test('the client gets a token from the ECR API and authenticates to the ECR-named host', async () => {
    const home = mkdtempSync(join(tmpdir(), 'archfit-ecr-home-'));
    const client = new RegistryClient({
      hosts: { [ECR_HOST]: ecr.host },
      credentials: defaultCredentialStore({ env: awsEnv(), homeDir: home }),
    });
    try {
      await pushFixture(ecr, fx.arm64OnlyDocker, 'grafana/grafana', 'latest', {
        credentials: { username: 'AWS', password },
      });
      const r = await inspect(client.repository(ECR_HOST, 'grafana/grafana'), 'latest');
      assert.match(r.platforms[0] ?? '', /^linux\/arm64/);
      assert.equal(standIn.requests.filter((q) => q.target === `${TARGET_PREFIX}GetAuthorizationToken`).length, 1);
    } finally {
      await client.close();
    }
  });

  test('archfit copy --create-repository into ECR: created, copied, confirmed for App Runner', async () => {
    const home = mkdtempSync(join(tmpdir(), 'archfit-ecr-home-'));
    const env = { ...awsEnv(), HOME: home, ARCHFIT_REGISTRY_HOSTS: `${ECR_HOST}=${ecr.host}` };
    const dst = `${ECR_HOST}/mirror/grafana:latest`;
    const run = await archfit(['copy', '--target', 'apprunner', '--create-repository', multiArch, dst, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const amd = fx.multiArch.images.find((i) => i.platformString === 'linux/amd64')!;
    assert.equal(jsonOf<{ destination: { digest: string } }>(run).destination.digest, amd.manifest.digest);
    const created = standIn.requests.filter((q) => q.target === `${TARGET_PREFIX}CreateRepository`);
    assert.deepEqual(
      created.map((q) => q.body.repositoryName),
      ['mirror/grafana'],
    );
    // Again: the repository exists already, which is fine.
    const again = await archfit(
      ['copy', '--target', 'apprunner', '--create-repository', multiArch, dst, '--json'],
      env,
    );
    assert.equal(again.code, 0, again.stderr);
    const check = await archfit(['check', dst, '--target', 'apprunner'], env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});
