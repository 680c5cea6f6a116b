// Deployment targets (the table, target specs) and the deployment-spec readers, against realistic spec files in
// test/fixtures/specs: each workload must point at the right place in its file and carry the right target.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ArchfitError, isArchfitError } from '../src/errors.js';
import { MediaType } from '../src/image/index.js';
import { type Platform, platformMatcher } from '../src/platform/index.js';
import {
  listTargets,
  platformTarget,
  type ReadSpecOptions,
  type ReadSpecResult,
  readSpec,
  resolveTarget,
  SPEC_TYPES,
} from '../src/targets/index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'specs');

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

function read(name: string, options: Partial<ReadSpecOptions> = {}): ReadSpecResult {
  return readSpec(fixture(name), { file: name, ...options });
}

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

/** Asserts an ArchfitError with the code, a one-line message containing each of `parts`. */
function assertError(run: () => unknown, code: string, ...parts: string[]): ArchfitError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ArchfitError, `expected an ArchfitError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.doesNotMatch(caught.message, /\n/, 'the message is one line');
  for (const part of parts) assert.ok(caught.message.includes(part), `${JSON.stringify(part)} in: ${caught.message}`);
  return caught;
}

/** What a test compares of a workload: the image, the target spec and where it is. */
function workloads(result: ReadSpecResult) {
  return result.workloads.map((w) => ({
    image: w.image,
    target: w.target.spec,
    path: w.source.path,
    name: w.source.name,
    ...(w.source.line === undefined ? {} : { line: w.source.line }),
    ...(w.source.document === undefined ? {} : { document: w.source.document }),
    ...(w.note === undefined ? {} : { note: w.note }),
  }));
}

function skipped(result: ReadSpecResult) {
  return result.skipped.map((s) => ({
    path: s.source.path,
    name: s.source.name,
    reason: s.reason,
    ...(s.source.line === undefined ? {} : { line: s.source.line }),
    ...(s.image === undefined ? {} : { image: s.image }),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// the target table

describe('targets', () => {
  /** [spec as typed, canonical spec, platforms] */
  const RESOLVES: [string, string, Platform[]][] = [
    ['apprunner', 'apprunner', [AMD64]],
    ['App-Runner', 'apprunner', [AMD64]],
    ['ecs', 'ecs', [AMD64]],
    ['ecs:x86_64', 'ecs:x86_64', [AMD64]],
    ['ecs:amd64', 'ecs:x86_64', [AMD64]],
    ['ECS:ARM64', 'ecs:arm64', [ARM64]],
    ['ecs:aarch64', 'ecs:arm64', [ARM64]],
    [' ecs-fargate : arm64 ', 'ecs-fargate:arm64', [ARM64]],
    ['fargate', 'ecs-fargate', [AMD64]],
    [
      'ecs-fargate:windows-2022',
      'ecs-fargate:windows-2022',
      [{ os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' }],
    ],
    ['ecs:windows', 'ecs:windows', [{ os: 'windows', architecture: 'amd64' }]],
    ['ecs-express', 'ecs-express', [AMD64]],
    ['lambda', 'lambda', [AMD64]],
    ['lambda:x86_64', 'lambda:x86_64', [AMD64]],
    ['LAMBDA:ARM64', 'lambda:arm64', [ARM64]],
    ['batch', 'batch', [AMD64]],
    ['batch:arm64', 'batch:arm64', [ARM64]],
    ['cloudrun', 'cloudrun', [AMD64]],
    ['cloud-run', 'cloudrun', [AMD64]],
    ['azure-container-apps', 'azure-container-apps', [AMD64]],
    ['azure-app-service', 'azure-app-service', [AMD64]],
    ['fly', 'fly', [AMD64]],
    ['heroku', 'heroku', [AMD64]],
    ['lightsail', 'lightsail', [AMD64]],
    ['scaleway', 'scaleway', [AMD64]],
    ['k8s:amd64', 'k8s:amd64', [AMD64]],
    ['k8s:amd64,arm64', 'k8s:amd64,arm64', [AMD64, ARM64]],
    ['Kubernetes:x86_64, AARCH64, arm64', 'k8s:amd64,arm64', [AMD64, ARM64]],
    [
      'k8s:arm,ppc64le,s390x,386',
      'k8s:arm,ppc64le,s390x,386',
      [
        { os: 'linux', architecture: 'arm' },
        { os: 'linux', architecture: 'ppc64le' },
        { os: 'linux', architecture: 's390x' },
        { os: 'linux', architecture: '386' },
      ],
    ],
    ['k8s:windows/amd64,arm64', 'k8s:windows/amd64,arm64', [{ os: 'windows', architecture: 'amd64' }, ARM64]],
    ['platform:linux/arm/v7', 'platform:linux/arm/v7', [{ os: 'linux', architecture: 'arm', variant: 'v7' }]],
    ['platform:Linux/x86_64,linux/aarch64', 'platform:linux/amd64,linux/arm64', [AMD64, ARM64]],
  ];

  for (const [spec, canonical, platforms] of RESOLVES) {
    test(`${JSON.stringify(spec)} is ${canonical}`, () => {
      const target = resolveTarget(spec);
      assert.equal(target.spec, canonical);
      assert.deepEqual(target.platforms, platforms);
      // The canonical spec resolves to the same target.
      assert.deepEqual(resolveTarget(target.spec), target);
    });
  }

  test('every listed name, alias and option resolves, and every target has a source', () => {
    const targets = listTargets();
    assert.ok(targets.length >= 15);
    for (const t of targets) {
      assert.ok(t.title !== '' && t.usage.startsWith(t.name), t.name);
      assert.ok(['documented', 'reported', 'given'].includes(t.source.kind), t.name);
      assert.ok(t.source.note.length > 20, `${t.name} explains its rule`);
      if (t.source.kind !== 'given') assert.match(t.source.url ?? '', /^https:\/\//, `${t.name} cites a page`);
      for (const url of t.source.also ?? []) assert.match(url, /^https:\/\//);
      if (t.name === 'k8s' || t.name === 'platform') continue;
      for (const name of [t.name, ...t.aliases]) {
        const r = resolveTarget(name);
        assert.equal(r.name, t.name);
        assert.deepEqual(r.platforms, t.platforms);
        assert.equal(r.acceptsIndex, t.acceptsIndex);
        assert.deepEqual(r.source, t.source);
      }
      assert.equal(t.default === undefined || t.options.some((o) => o.name === t.default), true);
      for (const o of t.options) {
        for (const spelling of [o.name, ...o.aliases, o.name.toUpperCase()]) {
          const r = resolveTarget(`${t.name}:${spelling}`);
          assert.equal(r.spec, `${t.name}:${o.name}`);
          assert.equal(r.option, o.name);
          assert.deepEqual(r.platforms, o.platforms);
        }
      }
    }
  });

  test('the names the brief asks for are all there', () => {
    const names = new Set(listTargets().map((t) => t.name));
    for (const name of ['apprunner', 'ecs', 'ecs-fargate', 'ecs-express', 'lambda', 'batch', 'cloudrun']) {
      assert.ok(names.has(name), name);
    }
    for (const name of ['azure-container-apps', 'azure-app-service', 'fly', 'heroku', 'k8s'])
      assert.ok(names.has(name));
  });

  test('Lambda refuses an index and takes single image manifests only', () => {
    for (const spec of ['lambda', 'lambda:arm64']) {
      const lambda = resolveTarget(spec);
      assert.equal(lambda.acceptsIndex, false);
      assert.deepEqual([...(lambda.mediaTypes ?? [])].sort(), [MediaType.DockerManifest, MediaType.OciManifest].sort());
    }
  });

  test('Cloud Run needs linux/amd64 in an index; the others need nothing in it', () => {
    const cloudrun = resolveTarget('cloudrun');
    assert.equal(cloudrun.acceptsIndex, true);
    assert.deepEqual(cloudrun.requiresInIndex, [AMD64]);
    assert.ok(cloudrun.mediaTypes?.includes(MediaType.OciIndex));
    assert.ok(cloudrun.mediaTypes?.includes(MediaType.DockerManifestSchema1));
    for (const t of listTargets().filter((x) => x.name !== 'cloudrun')) assert.deepEqual(t.requiresInIndex, [], t.name);
  });

  test('the targets work with the platform matchers the checks use', () => {
    const runs = (spec: string, image: Platform) =>
      resolveTarget(spec).platforms.every((p) => platformMatcher(p, 'compatible').match(image));
    assert.equal(runs('apprunner', ARM64), false);
    assert.equal(runs('ecs:arm64', ARM64), true);
    assert.equal(runs('k8s:amd64,arm64', ARM64), false, 'an arm64-only image does not run on the amd64 nodes');
    assert.equal(runs('k8s:arm', { os: 'linux', architecture: 'arm', variant: 'v6' }), true, 'arm v7 nodes run v6');
    const windows2019 = { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.6532' };
    assert.equal(runs('ecs-fargate:windows-2019', windows2019), true);
    assert.equal(runs('ecs-fargate:windows-2022', windows2019), false, 'a 2022 host does not run a 2019 image');
  });

  test('unknown names and options are UNKNOWN_TARGET, quoting the input', () => {
    const e = assertError(() => resolveTarget('app-runer'), 'UNKNOWN_TARGET', '"app-runer"', 'apprunner', 'lambda');
    assert.equal(e.kind, 'invalid-input');
    assert.deepEqual(e.details, { input: 'app-runer' });
    assertError(() => resolveTarget('gke'), 'UNKNOWN_TARGET', '"gke"', 'expected one of apprunner, ecs');
    assertError(() => resolveTarget('ecs:arm'), 'UNKNOWN_TARGET', '"arm"', '"ecs:arm"', 'x86_64, arm64');
    assertError(() => resolveTarget('lambda:ppc64le'), 'UNKNOWN_TARGET', '"lambda:ppc64le"', 'x86_64, arm64');
    assertError(() => resolveTarget('apprunner:arm64'), 'UNKNOWN_TARGET', '"apprunner:arm64"', 'takes no option');
    assertError(() => resolveTarget('k8s:amd64,arm65'), 'UNKNOWN_TARGET', '"arm65"', '"k8s:amd64,arm65"');
    assertError(() => resolveTarget('k8s:plan9/amd64x'), 'UNKNOWN_TARGET', '"plan9/amd64x"');
  });

  test('malformed specs are INVALID_ARGUMENT (or INVALID_PLATFORM), quoting the input', () => {
    assertError(() => resolveTarget(''), 'INVALID_ARGUMENT', '""', 'empty');
    assertError(() => resolveTarget('   '), 'INVALID_ARGUMENT', 'empty');
    assertError(() => resolveTarget(':arm64'), 'INVALID_ARGUMENT', '":arm64"');
    assertError(() => resolveTarget('ecs:'), 'INVALID_ARGUMENT', '"ecs:"');
    assertError(() => resolveTarget('k8s'), 'INVALID_ARGUMENT', '"k8s"', 'k8s:amd64,arm64');
    assertError(() => resolveTarget('k8s:amd64,,arm64'), 'INVALID_ARGUMENT', 'empty node architecture');
    assertError(() => resolveTarget('platform'), 'INVALID_ARGUMENT', '"platform"');
    assertError(() => resolveTarget('platform:linux//arm64'), 'INVALID_PLATFORM', '"linux//arm64"');
    assertError(() => resolveTarget(42 as unknown as string), 'INVALID_ARGUMENT', 'not a string');
  });

  test('platformTarget: the generic target of given platforms', () => {
    const one = platformTarget('linux/aarch64');
    assert.equal(one.name, 'platform');
    assert.equal(one.spec, 'platform:linux/arm64');
    assert.deepEqual(one.platforms, [ARM64]);
    assert.equal(one.acceptsIndex, true);
    assert.equal(one.mediaTypes, undefined);
    assert.equal(one.source.kind, 'given');
    assert.deepEqual(platformTarget({ os: 'linux', architecture: 'x86_64' }).platforms, [AMD64]);
    assert.equal(platformTarget(['linux/amd64', ARM64, 'linux/amd64']).spec, 'platform:linux/amd64,linux/arm64');
    assert.equal(resolveTarget(one.spec).spec, one.spec);
    assertError(() => platformTarget({ os: '', architecture: 'amd64' }), 'INVALID_PLATFORM');
    assertError(() => platformTarget([]), 'INVALID_ARGUMENT');
  });

  test('listTargets returns copies', () => {
    const first = listTargets();
    (first[0]!.platforms as Platform[]).push(ARM64);
    (first[0]!.source as { note: string }).note = 'changed';
    const again = listTargets();
    assert.deepEqual(again[0]!.platforms, [AMD64]);
    assert.notEqual(again[0]!.source.note, 'changed');
    const r = resolveTarget('ecs');
    r.platforms.push(ARM64);
    assert.deepEqual(resolveTarget('ecs').platforms, [AMD64]);
  });

  test('property: any spelling of a listed option resolves to the canonical spec, which is stable', () => {
    const spellings = listTargets().flatMap((t) =>
      t.options.flatMap((o) => [o.name, ...o.aliases].map((s) => ({ name: t.name, spelling: s, canonical: o.name }))),
    );
    fc.assert(
      fc.property(fc.constantFrom(...spellings), fc.boolean(), fc.boolean(), (entry, upperName, upperOption) => {
        const name = upperName ? entry.name.toUpperCase() : entry.name;
        const option = upperOption ? entry.spelling.toUpperCase() : entry.spelling;
        const r = resolveTarget(`${name}:${option}`);
        return r.spec === `${entry.name}:${entry.canonical}` && resolveTarget(r.spec).spec === r.spec;
      }),
    );
  });

  test('property: k8s lists resolve to a duplicate-free canonical list', () => {
    const archs = ['amd64', 'arm64', 'arm', 'ppc64le', 's390x', '386', 'riscv64', 'x86_64', 'aarch64'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...archs), { minLength: 1, maxLength: 6 }), (list) => {
        const r = resolveTarget(`k8s:${list.join(',')}`);
        const entries = (r.option ?? '').split(',');
        return new Set(entries).size === entries.length && entries.length === r.platforms.length;
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// spec readers, one realistic file per format

describe('readSpec: ECS task definitions', () => {
  test('describe-task-definition output: two containers on Fargate ARM64', () => {
    const result = read('ecs-describe-task-definition.json');
    assert.equal(result.type, 'ecs-task-definition');
    assert.deepEqual(workloads(result), [
      {
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/grafana/grafana:11.3.0',
        target: 'ecs-fargate:arm64',
        path: 'taskDefinition.containerDefinitions[0]',
        name: 'grafana/grafana',
      },
      {
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
        target: 'ecs-fargate:arm64',
        path: 'taskDefinition.containerDefinitions[1]',
        name: 'grafana/log-router',
      },
    ]);
    assert.deepEqual(result.skipped, []);
    const target = result.workloads[0]!.target;
    assert.deepEqual(target.platforms, [ARM64]);
    assert.equal(target.title, 'Amazon ECS on AWS Fargate');
    assert.equal(result.workloads[0]!.source.file, 'ecs-describe-task-definition.json');
  });

  test('register-task-definition input without runtimePlatform: ECS on EC2, X86_64', () => {
    const result = read('ecs-register-task-definition.json');
    assert.deepEqual(workloads(result), [
      {
        image: 'ghcr.io/example/billing-worker@sha256:3b9c4d5c0f1e2a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d',
        target: 'ecs',
        path: 'containerDefinitions[0]',
        name: 'billing-worker/worker',
      },
      { image: 'datadog/dogstatsd:7', target: 'ecs', path: 'containerDefinitions[1]', name: 'billing-worker/statsd' },
    ]);
    assert.deepEqual(result.workloads[0]!.target.platforms, [AMD64]);
  });

  test('Windows tasks get the Windows Server build; ARM64 with Windows is skipped', () => {
    const task = (platform: object) =>
      JSON.stringify({
        family: 'iis',
        requiresCompatibilities: ['FARGATE'],
        runtimePlatform: platform,
        containerDefinitions: [
          { name: 'web', image: 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022' },
        ],
      });
    const windows = readSpec(task({ operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', cpuArchitecture: 'X86_64' }), {
      file: 'iis.json',
    });
    assert.equal(windows.workloads[0]!.target.spec, 'ecs-fargate:windows-2022');
    assert.deepEqual(windows.workloads[0]!.target.platforms, [
      { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' },
    ]);
    const arm = readSpec(task({ operatingSystemFamily: 'WINDOWS_SERVER_2019_FULL', cpuArchitecture: 'ARM64' }), {
      file: 'iis.json',
    });
    assert.deepEqual(arm.workloads, []);
    assert.match(arm.skipped[0]!.reason, /ARM64 is for Linux/);
    assert.equal(arm.skipped[0]!.image, 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022');
    const odd = readSpec(task({ cpuArchitecture: 'ARM' }), { file: 'iis.json' });
    assert.match(odd.skipped[0]!.reason, /unknown cpuArchitecture "ARM"/);
  });

  test('a container without an image, or with a bad reference, is skipped where it is', () => {
    const text = JSON.stringify({
      family: 'x',
      containerDefinitions: [{ name: 'a' }, { name: 'b', image: 'Bad Image!' }, 'junk'],
    });
    const result = readSpec(text, { file: 'x.json' });
    assert.deepEqual(
      result.skipped.map((s) => [s.source.path, s.source.name, s.reason.split(':')[0]]),
      [
        ['containerDefinitions[0]', 'x/a', 'no image'],
        ['containerDefinitions[1]', 'x/b', 'invalid reference "Bad Image!"'],
        ['containerDefinitions[2]', 'x/#2', 'the container definition is not an object'],
      ],
    );
  });
});

describe('readSpec: App Runner and Lambda', () => {
  test('App Runner create-service input', () => {
    const result = read('apprunner-create-service.json');
    assert.equal(result.type, 'apprunner');
    assert.deepEqual(workloads(result), [
      {
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/grafana/grafana:latest',
        target: 'apprunner',
        path: 'SourceConfiguration.ImageRepository',
        name: 'grafana',
      },
    ]);
  });

  test('App Runner describe-service output, and a service built from source', () => {
    const described = {
      Service: {
        ServiceName: 'api',
        ServiceArn: 'arn:aws:apprunner:us-east-1:123456789012:service/api/8fe1e10304f84fd2b0df550fe98a71fa',
        SourceConfiguration: {
          ImageRepository: { ImageIdentifier: 'public.ecr.aws/example/api:1', ImageRepositoryType: 'ECR_PUBLIC' },
        },
      },
    };
    const result = readSpec(JSON.stringify(described), { file: 'svc.json' });
    assert.deepEqual(workloads(result), [
      {
        image: 'public.ecr.aws/example/api:1',
        target: 'apprunner',
        path: 'Service.SourceConfiguration.ImageRepository',
        name: 'api',
      },
    ]);
    const code = {
      ServiceName: 'site',
      SourceConfiguration: { CodeRepository: { RepositoryUrl: 'https://github.com/x/y' } },
    };
    const fromCode = readSpec(JSON.stringify(code), { file: 'site.json' });
    assert.deepEqual(fromCode.workloads, []);
    assert.equal(fromCode.skipped[0]!.source.path, 'SourceConfiguration.CodeRepository');
  });

  test('Lambda get-function output with arm64', () => {
    const result = read('lambda-get-function.json');
    assert.equal(result.type, 'lambda');
    assert.deepEqual(workloads(result), [
      {
        image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/thumbnailer:2026-05-19',
        target: 'lambda:arm64',
        path: 'Code',
        name: 'thumbnailer',
      },
    ]);
    assert.equal(result.workloads[0]!.target.acceptsIndex, false);
  });

  test('Lambda create-function and update-function-code inputs; x86_64 by default; Zip packages skipped', () => {
    const create = readSpec(
      JSON.stringify({ FunctionName: 'f', PackageType: 'Image', Code: { ImageUri: 'example/f:1' }, Role: 'arn:…' }),
      { file: 'create.json' },
    );
    assert.deepEqual(workloads(create), [{ image: 'example/f:1', target: 'lambda', path: 'Code', name: 'f' }]);
    assert.deepEqual(create.workloads[0]!.target.platforms, [AMD64]);
    const update = readSpec(JSON.stringify({ FunctionName: 'f', ImageUri: 'example/f:2', Architectures: ['x86_64'] }), {
      file: 'update.json',
    });
    assert.deepEqual(workloads(update), [
      { image: 'example/f:2', target: 'lambda:x86_64', path: 'ImageUri', name: 'f' },
    ]);
    const zip = readSpec(JSON.stringify({ FunctionName: 'z', PackageType: 'Zip', Code: { ZipFile: 'UEsDBA==' } }), {
      file: 'zip.json',
    });
    assert.deepEqual(zip.workloads, []);
    assert.match(zip.skipped[0]!.reason, /Zip package/);
    const two = readSpec(
      JSON.stringify({ FunctionName: 't', ImageUri: 'example/t:1', Architectures: ['x86_64', 'arm64'] }),
      {
        file: 'two.json',
      },
    );
    assert.match(two.skipped[0]!.reason, /a function has one/);
  });
});

describe('readSpec: CloudFormation', () => {
  const PSEUDO = { 'AWS::AccountId': '123456789012', 'AWS::Region': 'eu-west-1' };

  test('YAML with short tags: parameters, mappings, conditions and pseudo-parameters resolve; !GetAtt is skipped', () => {
    const result = read('cloudformation.yaml', { pseudoParameters: PSEUDO });
    assert.equal(result.type, 'cloudformation');
    assert.deepEqual(workloads(result), [
      {
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/grafana/grafana:11.3.0',
        target: 'ecs-fargate:arm64',
        path: 'Resources.Api.Properties.ContainerDefinitions[0]',
        name: 'Api/grafana',
        line: 48,
      },
      {
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
        target: 'ecs-fargate:arm64',
        path: 'Resources.Api.Properties.ContainerDefinitions[1]',
        name: 'Api/sidecar',
        line: 53,
      },
      {
        // ${AWS::URLSuffix} follows from the region.
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer:11.3.0',
        target: 'lambda:arm64',
        path: 'Resources.Thumbnailer.Properties.Code',
        name: 'Thumbnailer',
        line: 75,
      },
      {
        image: 'public.ecr.aws/example/dashboard:stable',
        target: 'apprunner',
        path: 'Resources.Dashboard.Properties.SourceConfiguration.ImageRepository',
        name: 'Dashboard',
        line: 110,
      },
    ]);
    assert.deepEqual(skipped(result), [
      {
        path: 'Resources.Api.Properties.ContainerDefinitions[2]',
        name: 'Api/api',
        reason:
          'the image cannot be resolved from the template: !GetAtt Repo.RepositoryUri is known only when the stack ' +
          'is deployed',
        line: 56,
      },
      {
        path: 'Resources.NightlyReport.Properties.ContainerProperties',
        name: 'NightlyReport',
        reason:
          'the image cannot be resolved from the template: parameter ReportImage has no Default value and none was given',
        line: 95,
      },
    ]);
  });

  test('parameters given override the defaults, and conditions follow them', () => {
    const result = read('cloudformation.yaml', {
      pseudoParameters: PSEUDO,
      parameters: { Environment: 'staging', Tag: '11.4.0', ReportImage: 'ghcr.io/example/nightly-report:2026.5' },
    });
    const byName = new Map(workloads(result).map((w) => [w.name, w]));
    assert.equal(byName.get('Api/grafana')?.target, 'ecs-fargate:x86_64', 'the staging mapping says X86_64');
    assert.equal(
      byName.get('Api/grafana')?.image,
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/grafana/grafana:11.4.0',
    );
    assert.equal(byName.get('Thumbnailer')?.target, 'lambda:x86_64', '!If IsProduction is false');
    assert.equal(byName.get('Dashboard')?.image, 'public.ecr.aws/example/dashboard:edge');
    assert.equal(byName.get('LegacyApi/legacy')?.target, 'ecs', 'the legacy task exists outside production');
    assert.deepEqual(byName.get('NightlyReport'), {
      image: 'ghcr.io/example/nightly-report:2026.5',
      target: 'batch:arm64',
      path: 'Resources.NightlyReport.Properties.ContainerProperties',
      name: 'NightlyReport',
      line: 95,
    });
    assert.equal(result.skipped.length, 1, 'only the !GetAtt image is left');
  });

  test('without pseudo-parameters, an image that needs them is skipped and says which', () => {
    const result = read('cloudformation.yaml');
    const grafana = skipped(result).find((s) => s.name === 'Api/grafana');
    assert.match(grafana?.reason ?? '', /the pseudo-parameter AWS::AccountId was not given/);
    assert.ok(
      workloads(result).some((w) => w.name === 'Api/sidecar'),
      'images that need none still resolve',
    );
  });

  test('JSON: Fn::Join over parameters, Ref in RuntimePlatform, Fn::ImportValue skipped', () => {
    const result = read('cloudformation.json', {
      pseudoParameters: { 'AWS::AccountId': '210987654321', 'AWS::Region': 'cn-north-1' },
    });
    assert.deepEqual(workloads(result), [
      {
        image: 'registry.example.com/shop/checkout:2.4.1',
        target: 'ecs:x86_64',
        path: 'Resources.CheckoutTask.Properties.ContainerDefinitions[0]',
        name: 'CheckoutTask/checkout',
      },
      {
        image: '210987654321.dkr.ecr.cn-north-1.amazonaws.com/checkout-worker:2.4.1',
        target: 'lambda',
        path: 'Resources.Worker.Properties.Code',
        name: 'Worker',
      },
    ]);
    assert.deepEqual(skipped(result), [
      {
        path: 'Resources.CheckoutTask.Properties.ContainerDefinitions[1]',
        name: 'CheckoutTask/envoy',
        reason:
          'the image cannot be resolved from the template: !ImportValue mesh-envoy-image is exported by another stack',
      },
    ]);
    const arm = read('cloudformation.json', { parameters: { Arch: 'ARM64' } });
    assert.equal(arm.workloads[0]!.target.spec, 'ecs:arm64');
  });

  test('intrinsics the template alone can resolve, and those it cannot', () => {
    const template = `
Parameters:
  Repo: { Type: String, Default: example/app }
  Ssm: { Type: 'AWS::SSM::Parameter::Value<String>', Default: /images/app }
Conditions:
  Never: !Equals [a, b]
Mappings:
  Tags: { prod: { app: '1.0' } }
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Architectures: [!If [Never, x86_64, !Select [1, !Split [',', 'x86_64,arm64']]]]
      Code:
        ImageUri: !Join ['', [!Ref Repo, ':', !FindInMap [Tags, prod, app]]]
  FromSsm:
    Type: AWS::Lambda::Function
    Properties: { PackageType: Image, Code: { ImageUri: !Ref Ssm } }
  Dynamic:
    Type: AWS::Lambda::Function
    Properties: { PackageType: Image, Code: { ImageUri: '{{resolve:ssm:/images/app}}' } }
  Express:
    Type: AWS::ECS::ExpressGatewayService
    Properties:
      PrimaryContainer: { Image: !Sub '\${Repo}:2' }
  Ref:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions: [{ Name: c, Image: !Ref Express }]
`;
    const result = readSpec(template, { file: 'template.yaml' });
    assert.deepEqual(
      workloads(result).map((w) => [w.name, w.image, w.target]),
      [
        ['Fn', 'example/app:1.0', 'lambda:arm64'],
        ['Express', 'example/app:2', 'ecs-express'],
      ],
    );
    assert.deepEqual(
      skipped(result).map((s) => [s.name, s.reason]),
      [
        [
          'FromSsm',
          'the image cannot be resolved from the template: parameter Ssm is read from the SSM parameter "/images/app" at deploy time',
        ],
        [
          'Dynamic',
          'the image is a dynamic reference, resolved when the stack is deployed: {{resolve:ssm:/images/app}}',
        ],
        [
          'Ref/c',
          "the image cannot be resolved from the template: !Ref Express is a resource's ID, known only when the stack is deployed",
        ],
      ],
    );
  });

  test('Batch job definitions: EC2 defaults are noted; EKS jobs run on the cluster nodes', () => {
    const template = JSON.stringify({
      Resources: {
        Ec2Job: {
          Type: 'AWS::Batch::JobDefinition',
          Properties: { Type: 'container', ContainerProperties: { Image: 'example/job:1' } },
        },
        EcsJob: {
          Type: 'AWS::Batch::JobDefinition',
          Properties: {
            Type: 'container',
            PlatformCapabilities: ['FARGATE'],
            EcsProperties: {
              TaskProperties: [
                {
                  RuntimePlatform: { CpuArchitecture: 'ARM64' },
                  Containers: [{ Name: 'main', Image: 'example/main:1' }],
                },
              ],
            },
          },
        },
        EksJob: {
          Type: 'AWS::Batch::JobDefinition',
          Properties: { EksProperties: { PodProperties: { Containers: [{ Name: 'c', Image: 'example/eks:1' }] } } },
        },
      },
    });
    const result = readSpec(template, { file: 'batch.json', nodeArch: ['arm64'] });
    assert.deepEqual(workloads(result), [
      {
        image: 'example/job:1',
        target: 'batch',
        path: 'Resources.Ec2Job.Properties.ContainerProperties',
        name: 'Ec2Job',
        note: "an EC2 job definition: the architecture is that of the compute environment's instance types; X86_64 assumed",
      },
      {
        image: 'example/main:1',
        target: 'batch:arm64',
        path: 'Resources.EcsJob.Properties.EcsProperties.TaskProperties[0].Containers[0]',
        name: 'EcsJob/main',
      },
      {
        image: 'example/eks:1',
        target: 'k8s:arm64',
        path: 'Resources.EksJob.Properties.EksProperties.PodProperties.Containers[0]',
        name: 'EksJob/c',
        note: "a Batch job on EKS runs on the cluster's nodes: arm64",
      },
    ]);
  });
});

describe('readSpec: Terraform plans', () => {
  test('resources in the root module and in nested modules, with values known only after apply skipped', () => {
    const result = read('terraform-plan.json');
    assert.equal(result.type, 'terraform-plan');
    const root = 'planned_values.root_module';
    const jobs = `${root}.child_modules[address=module.jobs]`;
    const legacy = `${jobs}.child_modules[address=module.jobs.module.legacy]`;
    assert.deepEqual(workloads(result), [
      {
        image: '123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:1.8.2',
        target: 'ecs-fargate:arm64',
        path: `${root}.resources[address=aws_ecs_task_definition.api].values.container_definitions[0]`,
        name: 'aws_ecs_task_definition.api/app',
      },
      {
        image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1',
        target: 'ecs-fargate:arm64',
        path: `${root}.resources[address=aws_ecs_task_definition.api].values.container_definitions[1]`,
        name: 'aws_ecs_task_definition.api/otel',
      },
      {
        image: 'public.ecr.aws/example/dashboard:stable',
        target: 'apprunner',
        path: `${root}.resources[address=aws_apprunner_service.dashboard].values.source_configuration[0].image_repository[0]`,
        name: 'aws_apprunner_service.dashboard',
      },
      {
        image: '123456789012.dkr.ecr.eu-central-1.amazonaws.com/resize:3.1.0',
        target: 'lambda:arm64',
        path: `${jobs}.resources[address=module.jobs.aws_lambda_function.resize].values.image_uri`,
        name: 'module.jobs.aws_lambda_function.resize',
      },
      {
        image: 'ghcr.io/example/nightly-report:2026.5',
        target: 'batch',
        path: `${jobs}.resources[address=module.jobs.aws_batch_job_definition.nightly].values.container_properties`,
        name: 'module.jobs.aws_batch_job_definition.nightly',
        note: "an EC2 job definition: the architecture is that of the compute environment's instance types; X86_64 assumed",
      },
      {
        image: 'example/cron:1',
        target: 'ecs',
        path: `${legacy}.resources[address=module.jobs.module.legacy.aws_ecs_task_definition.cron["hourly"]].values.container_definitions[0]`,
        name: 'module.jobs.module.legacy.aws_ecs_task_definition.cron["hourly"]/cron',
      },
    ]);
    assert.deepEqual(skipped(result), [
      {
        path: `${jobs}.resources[address=module.jobs.aws_lambda_function.export].values.image_uri`,
        name: 'module.jobs.aws_lambda_function.export',
        reason: 'image_uri is known only after apply',
      },
    ]);
  });

  test('a plan without planned_values is not a plan', () => {
    assertError(
      () => readSpec('{"format_version":"1.2"}', { file: 'plan.json', type: 'terraform-plan' }),
      'INVALID_SPEC',
      '"plan.json"',
      'terraform show -json',
    );
  });
});

describe('readSpec: Kubernetes', () => {
  test('a multi-document file: Deployment on arm64 with init containers, CronJob by affinity, others ignored', () => {
    const result = read('kubernetes.yaml');
    assert.equal(result.type, 'kubernetes');
    assert.deepEqual(workloads(result), [
      {
        image: 'docker.io/library/busybox:1.37',
        target: 'k8s:arm64',
        path: 'spec.template.spec.initContainers[0]',
        name: 'Deployment/grafana/init-chown-data',
        line: 35,
        document: 1,
      },
      {
        image: 'docker.io/grafana/grafana:11.3.0',
        target: 'k8s:arm64',
        path: 'spec.template.spec.containers[0]',
        name: 'Deployment/grafana/grafana',
        line: 42,
        document: 1,
      },
      {
        image: 'docker.io/grafana/grafana-image-renderer:3.11.6',
        target: 'k8s:arm64',
        path: 'spec.template.spec.containers[1]',
        name: 'Deployment/grafana/image-renderer',
        line: 52,
        document: 1,
      },
      {
        image: 'ghcr.io/example/nightly-report:2026.5',
        target: 'k8s:amd64,arm64',
        path: 'spec.jobTemplate.spec.template.spec.containers[0]',
        name: 'CronJob/nightly-report/report',
        line: 98,
        document: 3,
      },
      {
        image: 'quay.io/prometheus/node-exporter:v1.8.2',
        target: 'k8s:amd64',
        path: 'spec.template.spec.containers[0]',
        name: 'DaemonSet/node-exporter/node-exporter',
        line: 125,
        document: 4,
        note: "the pod does not choose a node architecture; the cluster's nodes are assumed to be amd64 (set nodeArch)",
      },
    ]);
    assert.deepEqual(result.skipped, []);
  });

  test("nodeArch: the cluster's nodes, less what NotIn removes", () => {
    const result = read('kubernetes.yaml', { nodeArch: ['AMD64', 'aarch64', 's390x'] });
    const exporter = result.workloads.find((w) => w.source.name.startsWith('DaemonSet/'));
    assert.equal(exporter?.target.spec, 'k8s:amd64,arm64');
    assert.equal(
      exporter?.note,
      "the pod does not choose a node architecture; the cluster's nodes are amd64, arm64, s390x",
    );
    const grafana = result.workloads.find((w) => w.source.name === 'Deployment/grafana/grafana');
    assert.equal(grafana?.target.spec, 'k8s:arm64', 'a nodeSelector does not depend on nodeArch');
    assertError(() => read('kubernetes.yaml', { nodeArch: ['amd64', 'sparc99'] }), 'INVALID_ARGUMENT', 'sparc99');
    assertError(() => read('kubernetes.yaml', { nodeArch: [] }), 'INVALID_ARGUMENT', 'nodeArch');
  });

  test('Pods, Lists, legacy labels, affinity terms, Windows nodes and impossible selectors', () => {
    const text = `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: legacy }
    spec:
      nodeSelector: { beta.kubernetes.io/arch: arm }
      containers: [{ name: app, image: example/legacy:1 }]
      ephemeralContainers: [{ name: debug, image: busybox:1.37 }]
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: { name: db }
    spec:
      template:
        spec:
          nodeSelector: { kubernetes.io/arch: arm64 }
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions: [{ key: kubernetes.io/arch, operator: In, values: [amd64, arm64, ppc64le] }]
          containers: [{ name: db, image: postgres:17 }]
  - apiVersion: batch/v1
    kind: Job
    metadata: { name: win }
    spec:
      template:
        spec:
          os: { name: windows }
          containers: [{ name: w, image: mcr.microsoft.com/windows/nanoserver:ltsc2022 }]
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: nowhere }
    spec:
      template:
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions: [{ key: kubernetes.io/arch, operator: DoesNotExist }]
          containers: [{ name: x, image: example/x:1 }]
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata: { name: typo }
    spec:
      template:
        spec:
          nodeSelector: { kubernetes.io/arch: arm65 }
          containers: [{ name: t, image: example/t:1 }]
`;
    const result = readSpec(text, { file: 'list.yaml', nodeArch: ['amd64', 'arm64'] });
    assert.deepEqual(
      workloads(result).map((w) => [w.name, w.target, w.path]),
      [
        ['Pod/legacy/app', 'k8s:arm', 'items[0].spec.containers[0]'],
        ['Pod/legacy/debug', 'k8s:arm', 'items[0].spec.ephemeralContainers[0]'],
        ['StatefulSet/db/db', 'k8s:arm64', 'items[1].spec.template.spec.containers[0]'],
        ['Job/win/w', 'k8s:windows/amd64,windows/arm64', 'items[2].spec.template.spec.containers[0]'],
      ],
    );
    assert.deepEqual(
      skipped(result).map((s) => [s.name, s.reason.split(':')[0]]),
      [
        ['Deployment/nowhere/x', 'no node architecture is left'],
        ['ReplicaSet/typo/t', 'unknown node architecture "arm65" in target "k8s'],
      ],
    );
  });

  test('JSON manifests read too', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    };
    assert.deepEqual(workloads(readSpec(JSON.stringify(pod), { file: 'pod.json' })), [
      {
        image: 'nginx',
        target: 'k8s:amd64',
        path: 'spec.containers[0]',
        name: 'Pod/p/c',
        note: "the pod does not choose a node architecture; the cluster's nodes are assumed to be amd64 (set nodeArch)",
      },
    ]);
  });

  test('a document that is not a Kubernetes object is INVALID_SPEC', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nfoo: bar\n';
    assertError(() => readSpec(text, { file: 'mixed.yaml' }), 'INVALID_SPEC', '"mixed.yaml"', 'document 2');
  });
});

describe('readSpec: Compose', () => {
  test('platform per service, linux/amd64 assumed without one, build-only services skipped', () => {
    const result = read('compose.yaml');
    assert.equal(result.type, 'compose');
    assert.deepEqual(workloads(result), [
      {
        image: 'ghcr.io/example/shop-web:2.4.1',
        target: 'platform:linux/arm64',
        path: 'services.web',
        name: 'services.web',
        line: 13,
      },
      {
        image: 'registry.example.com/shop/api:2.4.1',
        target: 'platform:linux/amd64',
        path: 'services.api',
        name: 'services.api',
        line: 27,
        note: 'no platform: set; linux/amd64 assumed',
      },
      {
        image: 'postgres:17-alpine',
        target: 'platform:linux/amd64',
        path: 'services.db',
        name: 'services.db',
        line: 32,
      },
      { image: 'redis:7.4', target: 'platform:linux/arm/v7', path: 'services.cache', name: 'services.cache', line: 40 },
    ]);
    assert.deepEqual(skipped(result), [
      {
        path: 'services.worker',
        name: 'services.worker',
        reason: 'built from build: with no image name to check',
        line: 21,
      },
    ]);
  });

  test('Compose reads as YAML 1.2 (a service named "y" stays "y"); a bad platform is skipped', () => {
    const result = readSpec(
      'services:\n  y:\n    image: example/y\n    platform: linux//arm64\n  on:\n    image: example/on\n',
      {
        file: 'compose.yml',
      },
    );
    assert.deepEqual(
      workloads(result).map((w) => w.name),
      ['services.on'],
    );
    assert.equal(skipped(result)[0]?.name, 'services.y');
    assert.match(skipped(result)[0]?.reason ?? '', /invalid platform "linux\/\/arm64"/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// files that are not specs

describe('readSpec: malformed and unknown files', () => {
  test('invalid JSON: INVALID_SPEC naming the file and the line', () => {
    const text =
      '{\n  "family": "api",\n  "containerDefinitions": [\n    { "name": "app", "image": "example/api:1", }\n  ]\n}\n';
    const e = assertError(() => readSpec(text, { file: 'task.json' }), 'INVALID_SPEC', '"task.json"', 'not valid JSON');
    assert.equal(e.details.file, 'task.json');
    assert.equal(e.details.line, 4);
  });

  test('invalid YAML: INVALID_SPEC with the line and column', () => {
    const text =
      'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          args: [--port, 8080\n      nodeSelector: {}\n';
    const e = assertError(
      () => readSpec(text, { file: 'deploy.yaml' }),
      'INVALID_SPEC',
      '"deploy.yaml"',
      'not valid YAML',
      '(line ',
    );
    assert.equal(typeof e.details.line, 'number');
  });

  test('a YAML alias bomb is refused, not expanded', () => {
    const started = Date.now();
    assertError(() => read('alias-bomb.yaml'), 'INVALID_SPEC', '"alias-bomb.yaml"', 'alias');
    assert.ok(Date.now() - started < 5000);
  });

  test('an unknown document: INVALID_SPEC saying what was found and what is read', () => {
    assertError(
      () => read('unknown.yaml'),
      'INVALID_SPEC',
      '"unknown.yaml"',
      'not a deployment spec',
      'name, on, jobs',
    );
    assertError(() => readSpec('[1, 2]', { file: 'list.json' }), 'INVALID_SPEC', 'a list');
    assertError(() => readSpec('just a string', { file: 'x.txt' }), 'INVALID_SPEC', 'a string');
    assertError(() => readSpec('  \n', { file: 'empty.yaml' }), 'INVALID_SPEC', 'empty');
  });

  test('several documents are for Kubernetes only; a forced type must match', () => {
    assertError(
      () => readSpec('services: {a: {image: x}}\n---\nservices: {b: {image: y}}\n', { file: 'c.yaml' }),
      'INVALID_SPEC',
      '2 YAML documents',
    );
    assertError(
      () => readSpec(fixture('compose.yaml'), { file: 'compose.yaml', type: 'ecs-task-definition' }),
      'INVALID_SPEC',
      'not an ECS task definition',
    );
    assertError(
      () => readSpec('{}', { file: 'x.json', type: 'helm' as never }),
      'INVALID_ARGUMENT',
      '"helm"',
      'kubernetes',
    );
  });

  test('a forced type reads a file detection would read the same way', () => {
    for (const [file, type] of [
      ['kubernetes.yaml', 'kubernetes'],
      ['cloudformation.json', 'cloudformation'],
      ['lambda-get-function.json', 'lambda'],
    ] as const) {
      assert.deepEqual(read(file, { type }), read(file));
    }
    assert.deepEqual(SPEC_TYPES.map((s) => s.type).sort(), [
      'apprunner',
      'cloudformation',
      'compose',
      'ecs-task-definition',
      'kubernetes',
      'lambda',
      'terraform-plan',
    ]);
  });

  test('bytes read as UTF-8, with or without a byte order mark', () => {
    const bytes = new TextEncoder().encode(`\uFEFF${fixture('compose.yaml')}`);
    assert.deepEqual(readSpec(bytes, { file: 'compose.yaml' }), read('compose.yaml'));
  });

  test('property: any text either reads or fails with INVALID_SPEC', () => {
    const texts = fc.oneof(
      fc.string(),
      fc.json(),
      fc.constantFrom('apiVersion: v1\nkind: Pod\n', 'services:\n', 'Resources: {}\n', '{"taskDefinition": {}}'),
    );
    fc.assert(
      fc.property(texts, (text) => {
        try {
          const result = readSpec(text, { file: 'fuzz' });
          return Array.isArray(result.workloads) && Array.isArray(result.skipped);
        } catch (error) {
          return isArchfitError(error, 'INVALID_SPEC') && !error.message.includes('\n');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('property: any JSON object shaped like a spec reads or fails with INVALID_SPEC, never a crash', () => {
    const shaped = fc.record({
      taskDefinition: fc.option(fc.jsonValue(), { nil: undefined }),
      containerDefinitions: fc.option(fc.array(fc.jsonValue()), { nil: undefined }),
      Resources: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
      services: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
      planned_values: fc.option(fc.jsonValue(), { nil: undefined }),
    });
    fc.assert(
      fc.property(shaped, (value) => {
        try {
          readSpec(JSON.stringify(value), { file: 'fuzz.json' });
          return true;
        } catch (error) {
          return isArchfitError(error, 'INVALID_SPEC');
        }
      }),
      { numRuns: 300 },
    );
  });
});
