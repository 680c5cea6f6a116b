// Builds the CLI and the library with esbuild (ESM, code-split so that commands load lazily), then the .d.ts files
// with tsc. Runs from `npm ci` through the `prepare` script.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const typesOnly = process.argv.includes('--no-types') === false;

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  // AWS SDK stays external: it is large, optional at run time and loaded only for ECR hosts.
  external: ['@aws-sdk/*', '@smithy/*'],
  chunkNames: 'chunks/[name]-[hash]',
  define: { __ARCHFIT_VERSION__: JSON.stringify(pkg.version) },
  // CJS dependencies bundled into ESM need a real `require` for Node built-ins.
  banner: {
    js: 'import{createRequire as __archfitCreateRequire}from"node:module";const require=__archfitCreateRequire(import.meta.url);',
  },
  legalComments: 'none',
  logLevel: 'warning',
});
if (typesOnly) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
