// Two builds of the CLI side by side, for before/after numbers of an engine change: the copy of the benchmark image
// A → B, the no-op re-copy and the inspect of the index, taking turns run by run.
//
//   node --import tsx bench/compare.ts --before OLD/dist --after NEW/dist [--size-mb 400] [--runs 5]
//     [--figures copy,noop,inspect]
//
// Each DIR is a built dist/ (with cli.js). Uses the image cache of bench/run.ts.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry } from '../test/support/registry.js';
import { run } from '../test/support/tools.js';
import { ensureLayout, multiSpecs } from './lib/images.js';
import { processCpuSeconds, Skopeo, type Timed, timed } from './lib/proc.js';
import { median, mib, seconds } from './lib/report.js';

const { values: opts } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string' },
    'size-mb': { type: 'string', default: '400' },
    runs: { type: 'string', default: '5' },
    figures: { type: 'string', default: 'copy,noop,inspect' },
  },
});
if (!opts.before || !opts.after) throw new Error('--before DIR and --after DIR (built dist/ directories) are required');
const work = join(import.meta.dirname, 'cache');
const sizeMb = Number(opts['size-mb']);
const runs = Number(opts.runs);
const builds = { before: resolve(opts.before), after: resolve(opts.after) };
const specs = multiSpecs(sizeMb);

const layout = await ensureLayout(join(work, 'images'), `multi-${sizeMb}mb`, specs);
const skopeo = new Skopeo(work);
const a = await startRegistry();
const b = await startRegistry();
type Figure = 'copy' | 'noop' | 'inspect';
const wanted = new Set(opts.figures.split(','));
const results = new Map<string, { ms: number[]; cpu: number[]; rss: number[]; registryCpu: number[] }>();
const record = (key: string, t: Timed, registryCpu: number) => {
  const r = results.get(key) ?? { ms: [], cpu: [], rss: [], registryCpu: [] };
  r.ms.push(t.ms);
  r.cpu.push(t.cpu ?? Number.NaN);
  r.rss.push(t.rss ?? 0);
  r.registryCpu.push(registryCpu);
  results.set(key, r);
};
try {
  await skopeo.run(
    ['copy', '--all', '--dest-tls-verify=false', `oci:${layout.dir}:latest`, `docker://${a.host}/bench/multi:latest`],
    join(work, 'skopeo-cache', 'compare'),
  );
  console.log(
    `image ${mib(layout.totalBytes)}; load at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const src = `${a.host}/bench/multi:latest`;
  // The no-op re-copy needs the image at its destination already.
  for (const name of ['before', 'after'] as const) {
    await timed(work, process.execPath, [join(builds[name], 'cli.js'), 'copy', src, `${b.host}/${name}/noop:latest`]);
  }
  for (let i = 0; i <= runs; i++) {
    const order = i % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const name of order) {
      const cli = (args: string[]) => timed(work, process.execPath, [join(builds[name], 'cli.js'), ...args]);
      const figures: Array<[Figure, string[]]> = [
        ['copy', ['copy', '--no-progress', src, `${b.host}/${name}/copy-${i}:latest`]],
        ['noop', ['copy', '--no-progress', src, `${b.host}/${name}/noop:latest`]],
        ['inspect', ['inspect', '--json', src]],
      ];
      for (const [figure, args] of figures) {
        if (!wanted.has(figure)) continue;
        await run('sync', []); // the page cache of earlier runs written out first
        const before = processCpuSeconds(a.pid) + processCpuSeconds(b.pid);
        const t = await cli(args);
        if (i > 0) record(`${figure} ${name}`, t, processCpuSeconds(a.pid) + processCpuSeconds(b.pid) - before);
      }
    }
  }
  console.log(
    `load at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const [key, r] of [...results].sort(([x], [y]) => x.localeCompare(y))) {
    console.log(
      `${key.padEnd(16)} wall ${seconds(median(r.ms)).padStart(8)} (min ${seconds(Math.min(...r.ms))}), cpu ${median(r.cpu).toFixed(2)} s, registries ${median(r.registryCpu).toFixed(2)} s, rss ${mib(Math.max(...r.rss))}`,
    );
  }
} finally {
  await b.stop();
  await a.stop();
  rmSync(join(work, 'skopeo-cache'), { recursive: true, force: true });
}
