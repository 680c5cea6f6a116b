import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('npm run demo tells the story offline, exits 0, and shows the failing check with its fix', () => {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['scripts/demo.mjs'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\$ archfit check oci:ecr:latest --target apprunner\nNO FIT/);
  assert.match(r.stdout, /PLATFORM_MISSING: only linux\/arm64\/v8 is in this image; AWS App Runner runs linux\/amd64/);
  assert.match(r.stdout, /archfit copy --platform linux\/amd64 /);
  assert.match(r.stdout, /Confirmed: oci:ecr-fixed:latest runs on AWS App Runner/);
  assert.match(r.stdout, /BINARY_ARCH_MISMATCH: .* arm64/);
  assert.match(r.stdout, /every step answered as expected/);
  assert.doesNotMatch(r.stdout, /expected exit/);
  assert.ok(seconds < 30, `the demo took ${seconds} s`);
});

test('the library is importable by its package name, as the README shows', () => {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      "import('archfit').then(m => console.log(typeof m.parseReference, typeof m.platformMatcher, m.parseReference('ubuntu').name, m.platformMatcher('linux/amd64').match(m.parsePlatform('linux/386')), m.platformMatcher('linux/amd64', 'strict').match(m.parsePlatform('linux/386')), m.parsePlatform('aarch64').architecture, m.parseReference('ubuntu').familiarName))",
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'function function docker.io/library/ubuntu true false arm64 ubuntu');
});

test('archfit --version and --help from the built binary', () => {
  const version = spawnSync(process.execPath, ['dist/cli.js', '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  const help = spawnSync(process.execPath, ['dist/cli.js', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const command of ['inspect', 'copy', 'check', 'targets'])
    assert.match(help.stdout, new RegExp(`\\n  ${command} `));
});
