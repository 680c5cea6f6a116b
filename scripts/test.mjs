// The test command (`npm test`, and what .ci/run runs): provision what the tests need, check formatting and lint,
// typecheck, build, then run every test file with Node's test runner.
//   --no-provision   skip installing Debian packages and fixture binaries
//   --no-lint        skip biome and tsc
//   any other argument: test files to run instead of all of them
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const files = args.filter((a) => !a.startsWith('--'));

function run(label, cmd, cmdArgs, extraEnv = {}) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (r.status !== 0) {
    process.stderr.write(`test: ${label} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'support') out.push(...findTests(p));
    } else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

const node = process.execPath;
const bin = (name) => join(root, 'node_modules', '.bin', name);

if (!flags.has('--no-provision')) run('provision', node, ['scripts/provision.mjs']);
if (!flags.has('--no-lint')) {
  run('lint and format (biome)', bin('biome'), ['check', '--error-on-warnings', '.']);
  run('typecheck (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
}
run('build', node, ['scripts/build.mjs']);
const tests = files.length > 0 ? files : findTests(join(root, 'test'));
run('tests', node, [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=2',
  '--test-timeout=300000',
  ...tests,
]);
