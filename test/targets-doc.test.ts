// docs/targets.md is generated from the target table; this keeps the page and the code the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listTargets, renderTargetsMarkdown } from '../src/targets/index.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'targets.md');

test('docs/targets.md is up to date (run `npm run docs:targets` to regenerate it)', () => {
  const rendered = renderTargetsMarkdown();
  const written = readFileSync(DOC, 'utf8');
  assert.ok(
    written === rendered,
    'docs/targets.md differs from the target table: run `npm run docs:targets` and commit the result',
  );
});

test('the page lists every target with its source', () => {
  const text = renderTargetsMarkdown();
  for (const t of listTargets()) {
    assert.ok(text.includes(`### \`${t.name}\`: ${t.title}`), t.name);
    if (t.source.url !== undefined) assert.ok(text.includes(`(${t.source.url})`), `${t.name} links its source`);
  }
});
