import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { copy } from '../src/api/index.js';
import { isArchfitError } from '../src/errors.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, jsonOf } from './support/cli.js';
import { type Fixtures, loadFixtures } from './support/fixtures.js';

let fx: Fixtures;
before(async () => {
  fx = await loadFixtures();
});

describe('command-line edges', () => {
  test('a dry run into a layout that does not exist plans the copy and creates nothing', async () => {
    const dir = join(makeTempDir('dry'), 'new-layout');
    const run = await archfit(['copy', '--dry-run', `oci:${fx.multiArch.dir}:latest`, `oci:${dir}:v1`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const j = jsonOf<{ blobs: { copied: number }; destination: { digest: string } }>(run);
    assert.ok(j.blobs.copied > 0, 'the plan copies blobs');
    assert.equal(j.destination.digest, fx.multiArch.root.digest);
    assert.equal(existsSync(dir), false, 'nothing was created');
  });

  test("a refused copy leaves no layout directory behind; a destination without a tag takes the source's tag", async () => {
    const base = makeTempDir('refused');
    const dir = join(base, 'out');
    const refused = await archfit([
      'copy',
      '--target',
      'apprunner',
      `oci:${fx.arm64OnlyDocker.dir}:latest`,
      `oci:${dir}`,
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(existsSync(dir), false, `left behind: ${existsSync(dir) ? readdirSync(dir).join(',') : ''}`);

    const ok = await archfit(['copy', `oci:${fx.multiArch.dir}:latest`, `oci:${dir}`, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(jsonOf<{ destination: { reference: string } }>(ok).destination.reference, /:latest$/);
  });

  test('the library rejects an aborted copy with ABORTED, whatever the abort reason', async () => {
    const controller = new AbortController();
    controller.abort();
    const dir = join(makeTempDir('abort'), 'out');
    await assert.rejects(
      copy(`oci:${fx.multiArch.dir}:latest`, `oci:${dir}:v1`, { signal: controller.signal }),
      (e: unknown) => isArchfitError(e, 'ABORTED'),
    );
  });

  test('a closed pipe ends the command quietly (no stack trace)', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'targets', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.notEqual(code, null);
  });
});
