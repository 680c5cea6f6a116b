// `npm run demo`: the story archfit was built for, offline, in under ten seconds. Each step prints the command it
// runs (as you would type it) and its real output. Exits 0 when every command answered as the story says.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemoImages } from '../examples/demo-images.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const taskdef = join(root, 'examples', 'taskdef.json');
const ECR = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/grafana/grafana:latest';
const work = mkdtempSync(join(tmpdir(), 'archfit-demo-'));
const plain = process.env.NO_COLOR !== undefined || !process.stdout.isTTY;
const bold = (s) => (plain ? s : `\x1b[1m${s}\x1b[0m`);
let failures = 0;

function say(text) {
  process.stdout.write(`\n${bold(text)}\n`);
}

/** Runs `archfit …` in the demo directory; `expect` is the exit code the story needs. */
function archfit(args, expect, shown = args) {
  process.stdout.write(`\n$ archfit ${shown.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const tidy = (text) => text.replaceAll(`${root}/`, '').replaceAll(work, '.');
  process.stdout.write(tidy(r.stdout));
  process.stdout.write(tidy(r.stderr));
  const note = r.status === expect ? '' : `   <-- expected exit ${expect}`;
  process.stdout.write(`[exit ${r.status}]${note}\n`);
  if (r.status !== expect) failures++;
}

try {
  const started = Date.now();
  await buildDemoImages(work);

  say('1. Upstream: a multi-platform image, like grafana/grafana (three platforms, buildx attestations).');
  archfit(['inspect', 'oci:upstream:latest'], 0);

  say('2. The accident: docker pull + tag + push on an arm64 Mac keeps only the host platform.');
  say('   This is what that leaves in ECR (the oci:ecr layout stands in for the repository):');
  archfit(['copy', '--platform', 'linux/arm64', 'oci:upstream:latest', 'oci:ecr:latest'], 0);
  archfit(['inspect', 'oci:ecr:latest'], 0);
  say('   App Runner runs linux/amd64 only. archfit says so before deploying, with the fix:');
  archfit(['check', 'oci:ecr:latest', '--target', 'apprunner'], 1);
  say('   The ECS task definition has no runtimePlatform, so Fargate runs it on X86_64 too:');
  archfit(['check', '--spec', taskdef, '--resolve', `${ECR}=oci:ecr:latest`], 1, [
    'check',
    '--spec',
    'examples/taskdef.json',
    '--resolve',
    `${ECR}=oci:ecr:latest`,
  ]);

  say('3. The fix: copy what App Runner runs, on purpose, and confirm it after the push.');
  archfit(['copy', '--target', 'apprunner', 'oci:upstream:latest', 'oci:ecr-fixed:latest'], 0);
  archfit(['check', 'oci:ecr-fixed:latest', '--target', 'apprunner'], 0);
  archfit(['check', '--spec', taskdef, '--resolve', `${ECR}=oci:ecr-fixed:latest`], 0, [
    'check',
    '--spec',
    'examples/taskdef.json',
    '--resolve',
    `${ECR}=oci:ecr-fixed:latest`,
  ]);
  say('   Or keep every platform (the same digest as upstream):');
  archfit(['copy', 'oci:upstream:latest', 'oci:ecr-all:latest'], 0);
  say('   ECS could also have run the arm64 image, with runtimePlatform.cpuArchitecture ARM64:');
  archfit(['check', 'oci:ecr:latest', '--target', 'ecs:arm64'], 0);

  say('4. A label is only a claim. This image says linux/amd64; its program is an arm64 binary.');
  archfit(['check', 'oci:mislabeled:latest', '--target', 'apprunner'], 0);
  archfit(['check', 'oci:mislabeled:latest', '--target', 'apprunner', '--deep'], 1);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(
    failures === 0
      ? `Done in ${seconds} s: every step answered as expected.`
      : `${failures} step(s) did not answer as expected.`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failures === 0 ? 0 : 1;
