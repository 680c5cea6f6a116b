import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { archfit, jsonOf } from './support/cli.js';
import { DEEP_CHECK_FIXTURES, type Fixtures, loadFixtures } from './support/fixtures.js';

interface CheckJson {
  fits: boolean;
  results: Array<{
    fits: boolean;
    reasons: Array<{ code: string; path?: string; layer?: string; detail?: Record<string, unknown> }>;
  }>;
}

const EXPECTED: Record<string, string[]> = {
  'exec-format-error': ['SCRIPT_NO_SHEBANG'],
  'interpreter-crlf': ['SHEBANG_CRLF'],
  'interpreter-missing': ['INTERPRETER_MISSING'],
  'entrypoint-missing': ['ENTRYPOINT_MISSING'],
  'arch-mismatch': ['BINARY_ARCH_MISMATCH'],
  fits: [],
};

let fx: Fixtures;
before(async () => {
  fx = await loadFixtures();
});

describe('archfit check --deep (CLI) on every deep-check fixture', () => {
  test('each fixture gives the finding its construction implies, with path and layer', async () => {
    for (const name of DEEP_CHECK_FIXTURES) {
      const f = fx[name];
      const outcome = f.expect?.outcome ?? 'fits';
      const platform = f.images[0]!.platformString;
      const run = await archfit(['check', `oci:${f.dir}:${f.tag}`, '--platform', platform, '--deep', '--json']);
      const j = jsonOf<CheckJson>(run);
      const reasons = j.results[0]!.reasons.filter((r) => r.code !== 'BINARY_ARCH_COMPAT');
      assert.deepEqual(
        reasons.map((r) => r.code),
        EXPECTED[outcome],
        `${name}: ${run.stdout}`,
      );
      assert.equal(run.code, outcome === 'fits' ? 0 : 1, name);
      for (const r of reasons) {
        if (r.code === 'ENTRYPOINT_MISSING') continue;
        assert.ok(r.path?.startsWith('/'), `${name}: reason carries the path`);
        assert.match(r.layer ?? '', /^sha256:[0-9a-f]{64}$/, `${name}: reason carries the layer`);
      }
    }
  });

  test('the label is only a claim: the mislabeled image passes the plain check and fails the deep one', async () => {
    const f = fx.configArchMismatch;
    const plain = await archfit(['check', `oci:${f.dir}:${f.tag}`, '--target', 'apprunner']);
    assert.equal(plain.code, 0, plain.stdout);
    const deep = await archfit(['check', `oci:${f.dir}:${f.tag}`, '--target', 'apprunner', '--deep']);
    assert.equal(deep.code, 1);
    assert.match(deep.stdout, /BINARY_ARCH_MISMATCH: .*aarch64.*exec format error/);
  });

  test('every platform of the six-platform index fits deep; its arm64 image does not run on amd64', async () => {
    const f = fx.multiArch;
    const run = await archfit([
      'check',
      `oci:${f.dir}:${f.tag}`,
      '--platform',
      f.platforms.join(','),
      '--deep',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(jsonOf<CheckJson>(run).results.length, 6);
    const arm = f.images.find((i) => i.platformString.startsWith('linux/arm64'))!;
    const wrong = await archfit([
      'check',
      `oci:${f.dir}@${arm.manifest.digest}`,
      '--platform',
      'linux/amd64',
      '--json',
    ]);
    assert.equal(jsonOf<CheckJson>(wrong).results[0]!.reasons[0]!.code, 'PLATFORM_MISSING');
  });

  test('inspect --platform --deep shows the entrypoint analysis', async () => {
    const f = fx.pathSymlinkOverride;
    const run = await archfit(['inspect', `oci:${f.dir}:${f.tag}`, '--platform', 'linux/amd64', '--deep']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Entrypoint: /);
    assert.match(run.stdout, /ELF 64-bit LSB x86-64/);
    assert.match(run.stdout, /verdict: runs on linux\/amd64/);
    const usage = await archfit(['inspect', `oci:${f.dir}:${f.tag}`, '--deep']);
    assert.equal(usage.code, 2);
  });
});
