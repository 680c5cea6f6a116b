import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CheckItem, runChecks } from '../src/check/index.js';
import { resolveTargetRule } from '../src/cli/targets.js';
import { RegistryClient, type RequestEvent } from '../src/registry/index.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, jsonOf } from './support/cli.js';
import { type Fixtures, loadFixtures, pushFixture } from './support/fixtures.js';
import { startRegistry, type TestRegistry } from './support/registry.js';

interface CheckJson {
  fits: boolean;
  results: Array<{
    image: string;
    digest: string;
    target: string | null;
    platform: string;
    fits: boolean;
    reasons: Array<{ code: string; message: string }>;
    source: { file: string; path: string; name: string } | null;
  }>;
  skipped?: Array<{ reason: string; source: { path: string; name: string } }>;
}

let fx: Fixtures;
let reg: TestRegistry;
const ref: Record<string, string> = {};

before(async () => {
  fx = await loadFixtures();
  reg = await startRegistry();
  for (const name of ['multiArch', 'arm64OnlyDocker', 'singlePlatformBuildx'] as const) {
    ref[name] = (await pushFixture(reg, fx[name])).reference;
  }
});
after(() => reg?.stop());

const codes = (j: CheckJson) => j.results.flatMap((r) => r.reasons.map((x) => x.code));

describe('archfit check against targets', () => {
  test("the seed's arm64-only image: App Runner does not fit, ECS with ARM64 does", async () => {
    const run = await archfit(['check', ref.arm64OnlyDocker!, '--target', 'apprunner']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stdout,
      /PLATFORM_MISSING: only linux\/arm64.* is in this image; AWS App Runner runs linux\/amd64/,
    );
    assert.match(run.stdout, /archfit copy --platform linux\/amd64 /);
    const j = jsonOf<CheckJson>(await archfit(['check', ref.arm64OnlyDocker!, '--target', 'apprunner', '--json']));
    assert.equal(j.fits, false);
    assert.deepEqual(codes(j), ['PLATFORM_MISSING']);
    assert.equal(j.results[0]!.target, 'apprunner');
    assert.equal(j.results[0]!.platform, 'linux/amd64');
    assert.equal(j.results[0]!.source, null);

    const arm = await archfit(['check', ref.arm64OnlyDocker!, '--target', 'ecs:arm64']);
    assert.equal(arm.code, 0, arm.stdout + arm.stderr);
  });

  test('the six-platform index fits App Runner, Cloud Run, ECS, ECS arm64 and a mixed k8s cluster; not Lambda', async () => {
    const run = await archfit([
      'check',
      ref.multiArch!,
      '-t',
      'apprunner',
      '-t',
      'cloudrun',
      '-t',
      'ecs',
      '-t',
      'ecs:arm64',
      '-t',
      'k8s:amd64,arm64',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stdout);
    const j = jsonOf<CheckJson>(run);
    assert.equal(j.results.length, 6);
    assert.ok(
      j.results.every((r) => r.fits && r.digest === fx.multiArch.root.digest),
      run.stdout,
    );
    const lambda = await archfit(['check', ref.multiArch!, '--target', 'lambda', '--json']);
    assert.equal(lambda.code, 1);
    assert.ok(codes(jsonOf<CheckJson>(lambda)).includes('INDEX_NOT_ACCEPTED'), lambda.stdout);
  });

  test('the buildx provenance trap: an index with one platform is refused by Lambda, its child is not', async () => {
    const run = await archfit(['check', ref.singlePlatformBuildx!, '--target', 'lambda', '--json']);
    assert.equal(run.code, 1);
    assert.deepEqual(codes(jsonOf<CheckJson>(run)), ['INDEX_NOT_ACCEPTED']);
    const child = fx.singlePlatformBuildx.images[0]!.manifest.digest;
    const byDigest = `${reg.host}/fixtures/single-platform-buildx@${child}`;
    const fits = await archfit(['check', byDigest, '--target', 'lambda']);
    assert.equal(fits.code, 0, fits.stdout);
    const arm = await archfit(['check', byDigest, '--target', 'lambda:arm64', '--json']);
    assert.equal(arm.code, 1);
    assert.deepEqual(codes(jsonOf<CheckJson>(arm)), ['PLATFORM_MISSING']);

    // The fix the message gives: re-tag in place, so the tag names the image manifest itself.
    const message = jsonOf<CheckJson>(run).results[0]!.reasons[0]!.message;
    assert.ok(message.includes(child), 'the reason names the child digest');
    const inPlace = `${reg.host}/fixtures/single-platform-buildx:lambda`;
    assert.equal((await archfit(['copy', ref.singlePlatformBuildx!, inPlace])).code, 0);
    assert.match(message, /archfit copy --platform linux\/amd64 (\S+) \1/);
    assert.equal((await archfit(['copy', '--platform', 'linux/amd64', inPlace, inPlace])).code, 0);
    assert.equal((await archfit(['check', inPlace, '--target', 'lambda'])).code, 0);
  });

  test('--platform is the generic target; bad input exits 2; an unreachable image exits 3', async () => {
    const j = jsonOf<CheckJson>(
      await archfit(['check', ref.multiArch!, '--platform', 'linux/s390x,linux/ppc64le', '--json']),
    );
    assert.deepEqual(
      j.results.map((r) => [r.target, r.platform, r.fits]),
      [
        [null, 'linux/s390x', true],
        [null, 'linux/ppc64le', true],
      ],
    );
    assert.equal((await archfit(['check', ref.multiArch!, '--target', 'nowhere'])).code, 2);
    assert.equal((await archfit(['check', ref.multiArch!])).code, 2);
    assert.equal((await archfit(['check', ref.multiArch!, '--platform', 'linux/foo/bar/baz'])).code, 2);
    const gone = await archfit(['check', `${reg.host}/nothing/here:1`, '--target', 'ecs']);
    assert.equal(gone.code, 3);
    assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
  });

  test('several images and targets: requests run concurrently and each manifest is fetched once', async () => {
    const events: RequestEvent[] = [];
    const client = new RegistryClient({ onRequest: (e) => events.push(e) });
    try {
      const targets = ['apprunner', 'ecs', 'ecs:arm64', 'k8s:amd64,arm64,s390x'].map((t) => resolveTargetRule(t));
      const items: CheckItem[] = [];
      for (const name of ['multiArch', 'arm64OnlyDocker'] as const) {
        for (const t of targets) {
          items.push({
            store: client.repository(reg.host, `fixtures/${name === 'multiArch' ? 'multi-arch' : 'arm64-only-docker'}`),
            reference: 'latest',
            image: name,
            targets: [t],
          });
        }
      }
      const result = await runChecks(items);
      assert.equal(result.results.length, 2 * 6);
      const gets = events.filter((e) => e.method === 'GET' && e.url.includes('/manifests/')).map((e) => e.url);
      assert.equal(new Set(gets).size, gets.length, `a manifest was fetched twice: ${gets.join('\n')}`);
      const blobGets = events.filter((e) => e.method === 'GET' && e.url.includes('/blobs/')).map((e) => e.url);
      assert.equal(new Set(blobGets).size, blobGets.length, 'a config was fetched twice');
    } finally {
      await client.close();
    }
  });
});

describe('archfit check --spec: deployment specs read as they are', () => {
  const write = (name: string, text: string): string => {
    const dir = makeTempDir('specs');
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  test('ECS task definition: X86_64 by default, each container pointed at', async () => {
    const file = write(
      'taskdef.json',
      JSON.stringify({
        family: 'grafana',
        requiresCompatibilities: ['FARGATE'],
        containerDefinitions: [
          { name: 'grafana', image: ref.arm64OnlyDocker },
          { name: 'sidecar', image: ref.multiArch },
        ],
      }),
    );
    const run = await archfit(['check', '--spec', file, '--json']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const j = jsonOf<CheckJson>(run);
    assert.deepEqual(
      j.results.map((r) => [r.source?.path, r.fits, r.platform]),
      [
        ['containerDefinitions[0]', false, 'linux/amd64'],
        ['containerDefinitions[1]', true, 'linux/amd64'],
      ],
    );
    assert.match(j.results[0]!.source!.name, /grafana/);
    const arm = write(
      'taskdef-arm.json',
      JSON.stringify({
        family: 'grafana',
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        containerDefinitions: [{ name: 'grafana', image: ref.arm64OnlyDocker }],
      }),
    );
    assert.equal((await archfit(['check', '--spec', arm])).code, 0);
  });

  test('Kubernetes: node selector, affinity, init containers; other kinds ignored', async () => {
    const file = write(
      'k8s.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  template:
    spec:
      nodeSelector: { kubernetes.io/arch: arm64 }
      initContainers: [{ name: init, image: ${ref.multiArch} }]
      containers: [{ name: app, image: ${ref.arm64OnlyDocker} }]
---
apiVersion: v1
kind: Service
metadata: { name: api }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: report }
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions: [{ key: kubernetes.io/arch, operator: In, values: [amd64] }]
          containers: [{ name: job, image: ${ref.arm64OnlyDocker} }]
`,
    );
    const j = jsonOf<CheckJson>(await archfit(['check', '--spec', file, '--json']));
    const byName = Object.fromEntries(j.results.map((r) => [r.source!.name, r]));
    assert.equal(byName['Deployment/api/init']?.fits, true, JSON.stringify(j));
    assert.equal(byName['Deployment/api/app']?.fits, true);
    assert.equal(byName['CronJob/report/job']?.fits, false);
    assert.equal(byName['CronJob/report/job']?.platform, 'linux/amd64');
    assert.match(byName['Deployment/api/app']!.source!.path, /spec\.template\.spec\.containers\[0\]/);
    assert.equal(j.fits, false);
  });

  test('CloudFormation YAML with short tags, Lambda and App Runner; an unresolvable image is skipped', async () => {
    const [host, ...rest] = ref.singlePlatformBuildx!.split('/');
    const file = write(
      'template.yaml',
      `Parameters:
  Host: { Type: String, Default: "${host}" }
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Code: { ImageUri: !Sub "\${Host}/${rest.join('/')}" }
  Web:
    Type: AWS::AppRunner::Service
    Properties:
      SourceConfiguration:
        ImageRepository:
          ImageIdentifier: !Join ["", [!Ref Host, "/fixtures/multi-arch:latest"]]
          ImageRepositoryType: ECR
  Other:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Code: { ImageUri: !GetAtt Repo.RepositoryUri }
`,
    );
    const run = await archfit(['check', '--spec', file, '--json']);
    const j = jsonOf<CheckJson>(run);
    assert.equal(run.code, 1);
    const fn = j.results.find((r) => r.source?.path.startsWith('Resources.Fn'));
    assert.deepEqual(
      fn?.reasons.map((r) => r.code),
      ['INDEX_NOT_ACCEPTED'],
    );
    const web = j.results.find((r) => r.source?.path.startsWith('Resources.Web'));
    assert.equal(web?.fits, true);
    assert.equal(web?.target, 'apprunner');
    assert.ok(
      j.skipped?.some((s) => s.source.path.startsWith('Resources.Other')),
      JSON.stringify(j.skipped),
    );
  });

  test('Terraform plan and Compose, with --resolve pointing a spec image at a local layout', async () => {
    const plan = write(
      'plan.json',
      JSON.stringify({
        format_version: '1.2',
        planned_values: {
          root_module: {
            resources: [
              {
                address: 'aws_lambda_function.fn',
                type: 'aws_lambda_function',
                name: 'fn',
                values: {
                  package_type: 'Image',
                  image_uri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fn:1',
                  architectures: ['arm64'],
                },
              },
            ],
          },
        },
      }),
    );
    const armChild = fx.multiArch.images.find((i) => i.platformString.startsWith('linux/arm64'))!.manifest.digest;
    const run = await archfit([
      'check',
      '--spec',
      plan,
      '--resolve',
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/fn:1=oci:${fx.multiArch.dir}@${armChild}`,
      '--json',
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(jsonOf<CheckJson>(run).results[0]!.target, 'lambda:arm64');

    const compose = write(
      'compose.yaml',
      `services:
  web: { image: "${ref.multiArch}", platform: linux/s390x }
  db: { image: "${ref.arm64OnlyDocker}" }
  built: { build: . }
`,
    );
    const c = jsonOf<CheckJson>(await archfit(['check', '--spec', compose, '--json']));
    assert.deepEqual(
      c.results.map((r) => [r.source?.name, r.platform, r.fits]),
      [
        ['services.web', 'linux/s390x', true],
        ['services.db', 'linux/amd64', false],
      ],
    );
    assert.equal(c.skipped?.length, 1);
  });

  test('an unreadable spec exits 2 with one line', async () => {
    const bad = write('bad.json', '{ "containerDefinitions": [ ');
    const run = await archfit(['check', '--spec', bad]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /INVALID_SPEC/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.equal((await archfit(['check', '--spec', '/nonexistent/spec.json'])).code, 2);
  });
});
