// Where the time of one copy goes: runs `archfit copy` A → B (and the same with skopeo) on the benchmark image, with
// the CPU seconds of every process involved (the tool, both registries) and a V8 CPU profile of archfit.
//
//   node --import tsx bench/profile.ts [--size-mb 400] [--runs 3] [--jobs N] [--no-prof] [--no-skopeo] [--timeline]
//
// --timeline prints, every 200 ms of each run, the cores used by the tool, by each registry and by the whole machine
// (from /proc), which shows whether the copy is bound by the CPU and who uses it.
// Uses the image cache of bench/run.ts (bench/cache/images); profiles go to bench/cache/prof.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { run } from '../test/support/tools.js';
import { formatSummary, summarizeProfiles } from './lib/cpuprofile.js';
import { ensureLayout, multiSpecs } from './lib/images.js';
import { processCpuSeconds, Skopeo, type Timed, timed } from './lib/proc.js';
import { mib, seconds } from './lib/report.js';

const { values: opts } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '400' },
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string' },
    'no-prof': { type: 'boolean', default: false },
    'no-skopeo': { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
    node: { type: 'string', multiple: true },
  },
});

const root = join(import.meta.dirname, '..');
const work = join(import.meta.dirname, 'cache');
const profDir = join(work, 'prof');
const sizeMb = Number(opts['size-mb']);
const runs = Number(opts.runs);

const specs = multiSpecs(sizeMb);

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineTicks(): [number, number] {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((x, y) => x + y, 0);
  return [total - fields[3]! - fields[4]!, total];
}

/** The newest process whose command line contains `marker` (the tool under GNU time), or undefined. */
function findPid(marker: string): number | undefined {
  let found: number | undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(marker) && !cmd.startsWith('/usr/bin/time')) found = Math.max(found ?? 0, Number(name));
    } catch {
      // gone already
    }
  }
  return found;
}

async function withCpu(
  registries: TestRegistry[],
  fn: () => Promise<Timed>,
  marker: string,
): Promise<{ t: Timed; registryCpu: number[] }> {
  const before = registries.map((r) => processCpuSeconds(r.pid));
  const lines: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  if (opts.timeline) {
    const started = performance.now();
    let pid: number | undefined;
    let last = { t: started, tool: 0, regs: before, machine: machineTicks() };
    timer = setInterval(() => {
      pid ??= findPid(marker);
      const now = {
        t: performance.now(),
        tool: pid === undefined ? 0 : processCpuSeconds(pid),
        regs: registries.map((r) => processCpuSeconds(r.pid)),
        machine: machineTicks(),
      };
      const dt = (now.t - last.t) / 1000;
      const busy = ((now.machine[0] - last.machine[0]) / (now.machine[1] - last.machine[1] || 1)) * cpus().length;
      const regs = now.regs.map((c, i) => `${'AB'[i]} ${((c - last.regs[i]!) / dt).toFixed(2)}`).join(' ');
      lines.push(
        `  ${(now.t - started).toFixed(0).padStart(5)} ms  tool ${((now.tool - last.tool) / dt).toFixed(2)}  ${regs}  machine ${busy.toFixed(2)} of ${cpus().length}`,
      );
      last = now;
    }, 200);
  }
  try {
    const t = await fn();
    return { t, registryCpu: registries.map((r, i) => processCpuSeconds(r.pid) - before[i]!) };
  } finally {
    if (timer) clearInterval(timer);
    if (lines.length > 0) console.log(`cores in use, per 200 ms:\n${lines.join('\n')}`);
  }
}

const layout = await ensureLayout(join(work, 'images'), `multi-${sizeMb}mb`, specs);
const skopeo = new Skopeo(work);
const a = await startRegistry();
const b = await startRegistry();
try {
  await skopeo.run(
    [
      'copy',
      '--all',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci:${layout.dir}:latest`,
      `docker://${a.host}/bench/multi:latest`,
    ],
    join(work, 'skopeo-cache', 'profile-seed'),
  );
  console.log(
    `image ${mib(layout.totalBytes)}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const extra = opts.jobs ? ['--jobs', opts.jobs] : [];
  for (let i = 0; i < runs; i++) {
    const prof = !opts['no-prof'] && i === runs - 1;
    if (prof) rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
    const nodeFlags = [...(opts.node ?? []), ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
    await run('sync', []); // the page cache of earlier runs written out first
    const af = await withCpu(
      [a, b],
      () =>
        timed(work, process.execPath, [
          ...nodeFlags,
          join(root, 'dist', 'cli.js'),
          'copy',
          '--no-progress',
          ...extra,
          `${a.host}/bench/multi:latest`,
          `${b.host}/archfit/p-${i}:latest`,
        ]),
      `archfit/p-${i}:latest`,
    );
    console.log(
      `archfit${prof ? ' (profiled)' : ''}: ${seconds(af.t.ms)}, cpu ${af.t.cpu?.toFixed(2)} s, rss ${mib(af.t.rss ?? 0)}; registry A cpu ${af.registryCpu[0]!.toFixed(2)} s, B ${af.registryCpu[1]!.toFixed(2)} s; load ${loadavg()[0]!.toFixed(2)}`,
    );
    if (!opts['no-skopeo']) {
      const cache = join(work, 'skopeo-cache', `profile-${i}`);
      await run('sync', []);
      const sk = await withCpu(
        [a, b],
        () =>
          skopeo.run(
            skopeo.copyArgs(`docker://${a.host}/bench/multi:latest`, `docker://${b.host}/skopeo/p-${i}:latest`, a, b),
            cache,
          ),
        `skopeo/p-${i}:latest`,
      );
      rmSync(cache, { recursive: true, force: true });
      console.log(
        `skopeo: ${seconds(sk.t.ms)}, cpu ${sk.t.cpu?.toFixed(2)} s, rss ${mib(sk.t.rss ?? 0)}; registry A cpu ${sk.registryCpu[0]!.toFixed(2)} s, B ${sk.registryCpu[1]!.toFixed(2)} s`,
      );
    }
  }
  if (!opts['no-prof']) for (const s of summarizeProfiles(profDir, 25)) console.log(formatSummary(s));
} finally {
  await b.stop();
  await a.stop();
  rmSync(join(work, 'skopeo-cache'), { recursive: true, force: true });
}
