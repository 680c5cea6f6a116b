// Writes docs/targets.md from the target table (`npm run docs:targets`); test/targets-doc.test.ts checks it is current.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTargetsMarkdown } from '../src/targets/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'docs', 'targets.md');
writeFileSync(file, renderTargetsMarkdown());
process.stdout.write(`wrote ${join('docs', 'targets.md')}\n`);
