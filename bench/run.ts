// archfit side by side with skopeo, on real registries on loopback: copy registry → registry, copy within a registry
// (mounts), no-op re-copy, inspect, the deep check against plain decompression, and the memory of a large-layer copy.
//
//   npm run bench                 the full run (about 400 MB image, 5 runs per tool); writes bench/RESULTS.md
//   npm run bench -- --quick      a smoke run (small images, 2 runs) in well under two minutes; writes nothing
//
// Options: --size-mb N (multi-platform image), --deep-mb N (layer stack of the deep check), --mem-mb N (the large
// single layer; the small one is a quarter of it), --runs N, --only copy,mount,noop,inspect,deep,memory,
// --no-build (use dist/ as it is), --jobs N (passed to archfit copy), --out FILE (where the report goes).
//
// Generated images are cached under bench/cache/images (gitignored): the multi-platform and deep-check images are kept
// for the next run, the large single-layer ones are removed after use (--keep-images keeps them, --clean removes all).
// Registries keep their storage in temp dirs that are removed when they stop, also when the run fails.
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { getConfig } from '../src/image/index.js';
import { RegistryClient } from '../src/registry/index.js';
import { analyzeEntrypoint } from '../src/rootfs/index.js';
import { type AccessLogEntry, startRegistry, type TestRegistry } from '../test/support/registry.js';
import { run } from '../test/support/tools.js';
import { curlCopy } from './lib/floor.js';
import {
  BENCH_PLATFORMS,
  type BenchImage,
  type BenchLayout,
  ensureLayout,
  type ImageSpec,
  multiSpecs,
  tinyElf,
} from './lib/images.js';
import { processCpuSeconds, rssMethod, Skopeo, type Timed, timed } from './lib/proc.js';
import {
  machineInfo,
  markdownReport,
  median,
  mib,
  type Row,
  ratio,
  ratioSummary,
  requestCount,
  seconds,
  summary,
  throughput,
  timeSummary,
} from './lib/report.js';

const root = join(import.meta.dirname, '..');
const benchDir = import.meta.dirname;
const work = join(benchDir, 'cache');
const SECTIONS = ['copy', 'mount', 'noop', 'inspect', 'deep', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'size-mb': { type: 'string' },
    'deep-mb': { type: 'string' },
    'mem-mb': { type: 'string' },
    runs: { type: 'string' },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    clean: { type: 'boolean', default: false },
    'keep-images': { type: 'boolean', default: false },
    out: { type: 'string' },
    jobs: { type: 'string' },
  },
  strict: true,
});

const quick = opts.quick === true;
const num = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} takes a positive number, not ${JSON.stringify(value)}`);
  return n;
};
const sizeMb = num(opts['size-mb'], quick ? 32 : 400, 'size-mb');
const deepMb = num(opts['deep-mb'], quick ? 16 : 200, 'deep-mb');
const memMb = num(opts['mem-mb'], quick ? 64 : 1024, 'mem-mb');
const runs = Math.round(num(opts.runs, quick ? 2 : 5, 'runs'));
/** Figures of a fraction of a second (mounts, no-op, inspect) are dominated by process start-up, which is noisy: more runs. */
const shortRuns = runs * 3;
const only = new Set<Section>(
  opts.only === undefined
    ? SECTIONS
    : opts.only.split(',').map((s) => {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s}`);
        return s as Section;
      }),
);
const extraJobs = opts.jobs === undefined ? [] : ['--jobs', opts.jobs];
const MB = 1024 * 1024;

const rows: Row[] = [];
const notes: string[] = [];
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// ---------------------------------------------------------------------------------------------------------------
// archfit, as users run it: the built CLI in its own process.

// PATH and HOME only: no NODE_OPTIONS, and no NODE_EXTRA_CA_CERTS, which some machines set to the system's CA bundle
// and which makes every Node.js process parse that file while it starts (measured as a variant of inspect below).
const archfitHome = join(work, 'archfit-home');
const archfitEnv: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: archfitHome };
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function archfit(args: readonly string[], nodeFlags: readonly string[] = []): Promise<Timed> {
  return timed(work, process.execPath, [...nodeFlags, join(root, 'dist', 'cli.js'), ...args], archfitEnv);
}

/**
 * V8 compiles undici's HTTP parser (WebAssembly) with Liftoff and then tiers it up with TurboFan in the background; a
 * short CLI run would wait about 0.1 s for that before it can exit. The CLI sets `--liftoff-only` itself, once the
 * command's code is loaded; given on the command line instead, the flag is there from the start, and V8 then refuses
 * Node's built-in code cache for Node's own modules: measured as a variant, to show why the CLI sets it late.
 */
const LIFTOFF = ['--liftoff-only'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function ensureBuilt(): Promise<void> {
  const cli = join(root, 'dist', 'cli.js');
  if (opts['no-build']) {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: build first (npm run build)');
    return;
  }
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(root, 'src'))) return;
  // The whole build (with the .d.ts files others type-check against), as `npm run build` does.
  log('building dist/ (sources changed since the last build)');
  await run(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, timeoutMs: 300_000 });
}

// ---------------------------------------------------------------------------------------------------------------
// The images.

const PLATFORMS = BENCH_PLATFORMS;

function memSpecs(mb: number): ImageSpec[] {
  return [{ platform: PLATFORMS[0]!, layers: [{ bytes: Math.round(mb * MB), content: 'random', level: 0 }] }];
}

/**
 * The deep-check images, in one layout: `bottom` has its entrypoint in the bottom layer, under four filler layers;
 * `top` is the same stack with one more small layer on top that holds the entrypoint. The layers are shared.
 */
function deepSpecs(totalMb: number): ImageSpec[] {
  const app = (layer: string) => [
    { path: 'usr/local/bin/app', content: tinyElf(), mode: 0o755 },
    { path: `etc/${layer}-layer`, content: Buffer.from(`${layer}\n`), mode: 0o644 },
  ];
  // 'text' bytes compress about 2:1, like typical layers; gzip level 6 as docker and buildkit write them.
  const filler = (i: number) => ({
    id: `filler-${i}`,
    bytes: Math.round((totalMb * MB * 1.85) / 4) + i,
    content: 'text' as const,
    level: 6,
  });
  const stack = [
    { id: 'bottom', bytes: 0, content: 'random' as const, level: 6, files: app('bottom') },
    ...[0, 1, 2, 3].map(filler),
  ];
  const image = { platform: PLATFORMS[0]!, entrypoint: ['/usr/local/bin/app'] };
  return [
    { ...image, tag: 'bottom', layers: stack },
    {
      ...image,
      tag: 'top',
      layers: [...stack, { id: 'top', bytes: 0, content: 'random', level: 6, files: app('top') }],
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers over registries.

function byMethod(entries: readonly AccessLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of entries) {
    // The version check (and authentication) every client starts with, shown apart from the API calls.
    const key = r.method === 'GET' && r.path === '/v2/' ? 'ping' : r.method;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

async function requestsByMethod(registry: TestRegistry): Promise<Record<string, number>> {
  return byMethod(await registry.requests());
}

function add(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

async function countRequests<T>(
  registries: TestRegistry[],
  fn: () => Promise<T>,
): Promise<{ value: T; requests: Record<string, number> }> {
  for (const r of registries) {
    await r.requests();
    r.resetRequests();
  }
  const value = await fn();
  let requests: Record<string, number> = {};
  for (const r of registries) requests = add(requests, await requestsByMethod(r));
  return { value, requests };
}

/**
 * archfit and skopeo measured in turns: their runs, the ratio of each pair and the requests of the last pair; `rows`
 * adds the wall-time row and the request-count row of a figure.
 */
class Turns {
  readonly af: Timed[] = [];
  readonly sk: Timed[] = [];
  private readonly pairs: number[] = [];
  private afRequests: Record<string, number> = {};
  private skRequests: Record<string, number> = {};

  add(a: { value: Timed; requests: Record<string, number> }, s: { value: Timed; requests: Record<string, number> }) {
    this.af.push(a.value);
    this.sk.push(s.value);
    this.pairs.push(a.value.ms / s.value.ms);
    this.afRequests = a.requests;
    this.skRequests = s.requests;
  }

  /** `ratio`: pair by pair (the default), or of the medians. */
  rows(
    figure: string,
    requestsFigure: string,
    targets: { time?: string; requests?: string } = {},
    ratioOf: 'pairs' | 'medians' = 'pairs',
  ): void {
    const afT = summary(this.af.map((t) => t.ms));
    const skT = summary(this.sk.map((t) => t.ms));
    rows.push({
      figure,
      archfit: timeSummary(afT),
      skopeo: timeSummary(skT),
      ratio: ratioOf === 'pairs' ? ratioSummary(summary(this.pairs)) : ratio(afT.median / skT.median),
      target: targets.time ?? '',
    });
    rows.push({
      figure: requestsFigure,
      archfit: requestCount(this.afRequests),
      skopeo: requestCount(this.skRequests),
      ratio: '',
      target: targets.requests ?? '',
    });
  }
}

let cacheSeq = 0;
/** A fresh, empty blob-info cache dir for one skopeo run: skopeo knows of no copies it could mount from. */
function freshCache(): string {
  return join(work, 'skopeo-cache', `run-${++cacheSeq}`);
}

async function push(
  skopeo: Skopeo,
  layout: BenchLayout,
  registry: TestRegistry,
  repo: string,
  cache: string,
  tag = layout.tag,
): Promise<void> {
  const t = performance.now();
  await skopeo.run(
    [
      'copy',
      '--all',
      '--preserve-digests',
      '--retry-times',
      '0',
      '--dest-tls-verify=false',
      `oci:${layout.dir}:${tag}`,
      `docker://${registry.host}/${repo}:latest`,
    ],
    cache,
  );
  log(`pushed ${repo} in ${seconds(performance.now() - t)}`);
}

function expectDigest(output: string, digest: string, what: string): void {
  if (!output.includes(digest)) throw new Error(`${what}: expected digest ${digest} in the output:\n${output}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The sections.

interface Context {
  a: TestRegistry;
  b: TestRegistry;
  skopeo: Skopeo;
  /** A blob-info cache that knows what was pushed to A (as after skopeo pushed or pulled it). */
  seedCache: string;
  multi?: BenchLayout;
}

async function ensureMulti(ctx: Context): Promise<BenchLayout> {
  if (ctx.multi) return ctx.multi;
  const t = performance.now();
  const layout = await ensureLayout(join(work, 'images'), `multi-${sizeMb}mb`, multiSpecs(sizeMb));
  log(`image multi-${sizeMb}mb ready (${mib(layout.totalBytes)}, ${seconds(performance.now() - t)})`);
  await push(ctx.skopeo, layout, ctx.a, 'bench/multi', ctx.seedCache);
  ctx.multi = layout;
  return layout;
}

interface CopyRun {
  t: Timed;
  /** CPU seconds both registries used during the run. */
  registryCpu: number;
  requests: Record<string, number>;
}

/**
 * Writes what earlier runs left in the page cache out to disk, so that the kernel's writeback of one run's 400 MB
 * does not land in the middle of the next one's measurement.
 */
async function settle(): Promise<void> {
  await run('sync', []);
}

/** Runs `fn` and measures what the registries did meanwhile: requests by method, and their CPU seconds. */
async function observed(ctx: Context, fn: () => Promise<Timed>): Promise<CopyRun> {
  await settle();
  const before = processCpuSeconds(ctx.a.pid) + processCpuSeconds(ctx.b.pid);
  const r = await countRequests([ctx.a, ctx.b], fn);
  return {
    t: r.value,
    registryCpu: processCpuSeconds(ctx.a.pid) + processCpuSeconds(ctx.b.pid) - before,
    requests: r.requests,
  };
}

async function sectionCopy(ctx: Context): Promise<void> {
  const layout = await ensureMulti(ctx);
  const src = `${ctx.a.host}/bench/multi:latest`;
  const af: CopyRun[] = [];
  const sk: CopyRun[] = [];
  const floor: number[] = [];
  const pipe: CopyRun[] = [];
  const pairRatios: number[] = [];
  const pipeRatios: number[] = [];
  const jobs = opts.jobs === undefined ? 4 : Number(opts.jobs);
  // One warm-up round (page cache, registries), not counted. The tools take turns going first; the floor goes last.
  for (let i = 0; i <= runs; i++) {
    const warm = i === 0;
    const order = i % 2 === 0 ? (['archfit', 'skopeo'] as const) : (['skopeo', 'archfit'] as const);
    let a: CopyRun | undefined;
    let s: CopyRun | undefined;
    for (const tool of order) {
      if (tool === 'archfit') {
        a = await observed(ctx, () =>
          archfit(['copy', '--no-progress', ...extraJobs, src, `${ctx.b.host}/archfit/copy-${i}:latest`]),
        );
        expectDigest(a.t.stdout, layout.root.digest, 'archfit copy');
      } else {
        const cache = freshCache();
        s = await observed(ctx, () =>
          ctx.skopeo.run(
            ctx.skopeo.copyArgs(`docker://${src}`, `docker://${ctx.b.host}/skopeo/copy-${i}:latest`, ctx.a, ctx.b),
            cache,
          ),
        );
        rmSync(cache, { recursive: true, force: true });
      }
    }
    await settle();
    const f = await curlCopy(ctx.a, 'bench/multi', ctx.b, `floor/copy-${i}`, layout, jobs);
    const p = await observed(ctx, () => nodePipe(ctx, layout, `node-pipe/copy-${i}`, jobs));
    log(
      `copy ${warm ? 'warm-up' : `run ${i}`}: archfit ${seconds(a!.t.ms)} (${mib(a!.t.rss ?? 0)}), skopeo ${seconds(s!.t.ms)}, floor ${seconds(f)}, Node.js pipe ${seconds(p.t.ms)}${warm ? '' : `, ratio ${ratio(a!.t.ms / s!.t.ms)}`} — load ${loadavg()[0]!.toFixed(2)}`,
    );
    if (warm) continue;
    af.push(a!);
    sk.push(s!);
    floor.push(f);
    pipe.push(p);
    pairRatios.push(a!.t.ms / s!.t.ms);
    pipeRatios.push(p.t.ms / s!.t.ms);
  }
  const afT = summary(af.map((r) => r.t.ms));
  const skT = summary(sk.map((r) => r.t.ms));
  const floorT = summary(floor);
  rows.push({
    figure: `copy A → B, ${PLATFORMS.length} platforms × 4 layers, ${mib(layout.totalBytes)}: wall time`,
    archfit: timeSummary(afT),
    skopeo: timeSummary(skT),
    ratio: ratioSummary(summary(pairRatios)),
    target: 'ratio ≤ 0.8',
  });
  rows.push({
    figure: 'copy A → B: throughput (median)',
    archfit: throughput(layout.totalBytes, afT.median),
    skopeo: throughput(layout.totalBytes, skT.median),
    ratio: ratio(skT.median / afT.median),
    target: '',
  });
  rows.push({
    figure: `copy A → B: floor = the same blobs piped curl → curl, nothing verified (${timeSummary(floorT)}); time over floor`,
    archfit: `${ratio(afT.median / floorT.median)} × floor`,
    skopeo: `${ratio(skT.median / floorT.median)} × floor`,
    ratio: '',
    target: '',
  });
  const cpu = (runs: CopyRun[]) => median(runs.map((r) => r.t.cpu ?? Number.NaN));
  const regCpu = (runs: CopyRun[]) => median(runs.map((r) => r.registryCpu));
  const pipeT = summary(pipe.map((r) => r.t.ms));
  rows.push({
    figure: `copy A → B: the least a Node.js client can do (bench/lib/node-pipe.mjs: per blob POST, then GET → SHA-256 → one PUT with undici, ${jobs} at a time, then the manifests; nothing else), its start-up included: wall time, ratio to skopeo; CPU seconds of the pipe ${cpu(pipe).toFixed(2)} s, of the registries ${regCpu(pipe).toFixed(2)} s`,
    archfit: timeSummary(pipeT),
    skopeo: '',
    ratio: ratioSummary(summary(pipeRatios)),
    target: '',
  });
  rows.push({
    figure: 'copy A → B: CPU seconds of the tool (median)',
    archfit: `${cpu(af).toFixed(2)} s`,
    skopeo: `${cpu(sk).toFixed(2)} s`,
    ratio: ratio(cpu(af) / cpu(sk)),
    target: '',
  });
  rows.push({
    figure: 'copy A → B: CPU seconds of the two registries during the copy (median)',
    archfit: `${regCpu(af).toFixed(2)} s`,
    skopeo: `${regCpu(sk).toFixed(2)} s`,
    ratio: ratio(regCpu(af) / regCpu(sk)),
    target: '',
  });
  rows.push({
    figure: 'copy A → B: peak RSS (max over runs)',
    archfit: mib(Math.max(...af.map((r) => r.t.rss ?? 0))),
    skopeo: mib(Math.max(...sk.map((r) => r.t.rss ?? 0))),
    ratio: ratio(Math.max(...af.map((r) => r.t.rss ?? 0)) / Math.max(...sk.map((r) => r.t.rss ?? 0))),
    target: '',
  });
  rows.push({
    figure: 'copy A → B: HTTP requests (both registries, last run)',
    archfit: requestCount(af[af.length - 1]!.requests),
    skopeo: requestCount(sk[sk.length - 1]!.requests),
    ratio: '',
    target: '',
  });
  // Garbage collections of one more copy each, traced (V8 prints them on stdout): archfit keeps 8 MiB of headroom so
  // that socket buffers do not set off a full collection after every scavenge (NOTES.md, change 8).
  await settle();
  const traced = await archfit(
    ['copy', '--no-progress', ...extraJobs, src, `${ctx.b.host}/archfit/copy-gc:latest`],
    ['--trace-gc'],
  );
  await settle();
  const tracedPipe = await nodePipe(ctx, layout, 'node-pipe/copy-gc', jobs, ['--trace-gc']);
  const gcs = (out: string) =>
    `${(out.match(/Mark-Compact/g) ?? []).length} full, ${(out.match(/Scavenge/g) ?? []).length} young`;
  rows.push({
    figure: 'copy A → B: garbage collections (`node --trace-gc`, one more copy; the Node.js pipe for scale)',
    archfit: `${gcs(traced.stdout)}; the pipe: ${gcs(tracedPipe.stdout)}`,
    skopeo: '',
    ratio: '',
    target: '',
  });
}

/** The Node.js pipe (bench/lib/node-pipe.mjs) copying the multi-platform image A → B as `dstRepo:latest`. */
function nodePipe(
  ctx: Context,
  layout: BenchLayout,
  dstRepo: string,
  jobs: number,
  nodeFlags: readonly string[] = [],
): Promise<Timed> {
  const blobs = new Map<string, { digest: string; size: number }>();
  for (const img of layout.images) {
    for (const b of [img.config, ...img.layers]) blobs.set(b.digest, { digest: b.digest, size: b.size });
  }
  const file = (digest: string) => join(layout.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const plan = {
    src: ctx.a.url,
    srcRepo: 'bench/multi',
    dst: ctx.b.url,
    dstRepo,
    jobs,
    blobs: [...blobs.values()],
    manifests: [
      ...layout.images.map((img) => ({
        file: file(img.manifest.digest),
        mediaType: img.manifest.mediaType,
        ref: img.manifest.digest,
      })),
      { file: file(layout.root.digest), mediaType: layout.root.mediaType, ref: 'latest' },
    ],
  };
  const planFile = join(work, 'node-pipe-plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  return timed(work, process.execPath, [...nodeFlags, join(benchDir, 'lib', 'node-pipe.mjs'), planFile], archfitEnv);
}

async function sectionMount(ctx: Context): Promise<void> {
  const layout = await ensureMulti(ctx);
  const src = `${ctx.a.host}/bench/multi:latest`;
  const turns = new Turns();
  for (let i = 0; i < shortRuns; i++) {
    const r1 = await countRequests([ctx.a], () =>
      archfit(['copy', '--no-progress', src, `${ctx.a.host}/archfit/mount-${i}:latest`]),
    );
    expectDigest(r1.value.stdout, layout.root.digest, 'archfit copy (mount)');
    if (!/ [1-9]\d* mounted/.test(r1.value.stdout)) throw new Error(`archfit did not mount: ${r1.value.stdout}`);
    // skopeo mounts only blobs its cache knows to be in the registry: give it the cache from its push to A.
    const r2 = await countRequests([ctx.a], () =>
      ctx.skopeo.run(
        ctx.skopeo.copyArgs(`docker://${src}`, `docker://${ctx.a.host}/skopeo/mount-${i}:latest`, ctx.a, ctx.a),
        ctx.seedCache,
      ),
    );
    turns.add(r1, r2);
  }
  turns.rows('copy within A to a new repository (mounts): wall time', 'copy within A (mounts): HTTP requests');
}

async function sectionNoop(ctx: Context): Promise<void> {
  await ensureMulti(ctx);
  const src = `${ctx.a.host}/bench/multi:latest`;
  // Destinations that already hold the image under the same tag.
  const afDst = `${ctx.b.host}/archfit/noop:latest`;
  const skDst = `${ctx.b.host}/skopeo/noop:latest`;
  await archfit(['copy', '--no-progress', src, afDst]);
  await ctx.skopeo.run(ctx.skopeo.copyArgs(`docker://${src}`, `docker://${skDst}`, ctx.a, ctx.b), freshCache());
  const turns = new Turns();
  const afLiftoff: Timed[] = [];
  for (let i = 0; i < shortRuns; i++) {
    const r1 = await countRequests([ctx.a, ctx.b], () => archfit(['copy', '--no-progress', src, afDst]));
    afLiftoff.push(await archfit(['copy', '--no-progress', src, afDst], LIFTOFF));
    const cache = freshCache();
    const r2 = await countRequests([ctx.a, ctx.b], () =>
      ctx.skopeo.run(ctx.skopeo.copyArgs(`docker://${src}`, `docker://${skDst}`, ctx.a, ctx.b), cache),
    );
    rmSync(cache, { recursive: true, force: true });
    turns.add(r1, r2);
  }
  turns.rows(
    'no-op re-copy A → B (same tag, all present): wall time',
    'no-op re-copy: HTTP requests (both registries)',
    {
      time: 'archfit ≤ 0.3 s',
      requests: 'HEAD only (after the ping)',
    },
  );
  rows.push({
    figure:
      "no-op re-copy, archfit with `node --liftoff-only` on the command line (the flag from the start: no code cache for Node's modules; the CLI sets it after loading)",
    archfit: timeSummary(summary(afLiftoff.map((t) => t.ms))),
    skopeo: '',
    ratio: ratio(summary(afLiftoff.map((t) => t.ms)).median / summary(turns.sk.map((t) => t.ms)).median),
    target: '',
  });
  // Everything present, but under a new tag: every blob and manifest is checked, only the tag is written.
  const retag = new Turns();
  for (let i = 0; i < shortRuns; i++) {
    const r1 = await countRequests([ctx.a, ctx.b], () =>
      archfit(['copy', '--no-progress', src, `${ctx.b.host}/archfit/noop:retag-${i}`]),
    );
    const cache = freshCache();
    const r2 = await countRequests([ctx.a, ctx.b], () =>
      ctx.skopeo.run(
        ctx.skopeo.copyArgs(`docker://${src}`, `docker://${ctx.b.host}/skopeo/noop:retag-${i}`, ctx.a, ctx.b),
        cache,
      ),
    );
    rmSync(cache, { recursive: true, force: true });
    retag.add(r1, r2);
  }
  retag.rows(
    're-copy to a new tag (all content present): wall time',
    're-copy to a new tag: HTTP requests',
    {},
    'medians',
  );
}

async function sectionInspect(ctx: Context): Promise<void> {
  const layout = await ensureMulti(ctx);
  const ref = `${ctx.a.host}/bench/multi:latest`;
  const cases: Array<{ figure: string; af: string[]; sk: string[]; target: string; check: (out: string) => void }> = [
    {
      figure: 'inspect the index (`inspect --json` / `skopeo inspect --raw`)',
      af: ['inspect', '--json', ref],
      sk: ['inspect', '--raw', '--retry-times', '0', '--tls-verify=false', `docker://${ref}`],
      target: '1 manifest request; not slower',
      check: (out) => expectDigest(out, layout.root.digest, 'archfit inspect --json'),
    },
    {
      figure: 'inspect one platform (`--platform linux/arm64` / `--override-arch arm64 --override-os linux`)',
      af: ['inspect', '--json', '--platform', 'linux/arm64', ref],
      sk: [
        'inspect',
        '--retry-times',
        '0',
        '--tls-verify=false',
        '--override-arch',
        'arm64',
        '--override-os',
        'linux',
        `docker://${ref}`,
      ],
      target: '',
      check: (out) => expectDigest(out, layout.images[1]!.manifest.digest, 'archfit inspect --platform'),
    },
  ];
  const nodeAlone: number[] = [];
  const liftoff: number[] = [];
  const extraCa: number[] = [];
  const withExtraCa = { ...archfitEnv, NODE_EXTRA_CA_CERTS: SYSTEM_CA_BUNDLE };
  for (const [n, c] of cases.entries()) {
    const turns = new Turns();
    for (let i = 0; i <= shortRuns; i++) {
      const r1 = await countRequests([ctx.a], () => archfit(c.af));
      c.check(r1.value.stdout);
      if (n === 0 && i > 0) {
        liftoff.push((await archfit(c.af, LIFTOFF)).ms);
        nodeAlone.push((await timed(work, process.execPath, ['-e', '0'], archfitEnv)).ms);
        if (existsSync(SYSTEM_CA_BUNDLE)) {
          extraCa.push((await timed(work, process.execPath, [join(root, 'dist', 'cli.js'), ...c.af], withExtraCa)).ms);
        }
      }
      const cache = freshCache();
      const r2 = await countRequests([ctx.a], () => ctx.skopeo.run(c.sk, cache));
      rmSync(cache, { recursive: true, force: true });
      if (i === 0) continue; // warm-up
      turns.add(r1, r2);
    }
    turns.rows(
      `${c.figure}: wall time`,
      `${c.figure}: HTTP requests`,
      c.target ? { time: 'ratio ≤ 1', requests: 'ping + 1 manifest' } : {},
    );
    const sk = turns.sk;
    if (n === 0) {
      rows.push({
        figure:
          "inspect the index, archfit with `node --liftoff-only` on the command line (the flag from the start: no code cache for Node's modules; the CLI sets it after loading)",
        archfit: timeSummary(summary(liftoff)),
        skopeo: '',
        ratio: ratio(summary(liftoff).median / summary(sk.map((t) => t.ms)).median),
        target: '',
      });
      if (extraCa.length > 0) {
        rows.push({
          figure: `inspect the index, archfit with NODE_EXTRA_CA_CERTS=${SYSTEM_CA_BUNDLE} (Node.js parses the bundle at start-up, whatever the command)`,
          archfit: timeSummary(summary(extraCa)),
          skopeo: '',
          ratio: ratio(summary(extraCa).median / summary(sk.map((t) => t.ms)).median),
          target: '',
        });
      }
      rows.push({
        figure:
          'for scale: Node.js starting and exiting with nothing to do (`node -e 0`, in the environment archfit gets)',
        archfit: timeSummary(summary(nodeAlone)),
        skopeo: '',
        ratio: ratio(summary(nodeAlone).median / summary(sk.map((t) => t.ms)).median),
        target: '',
      });
    }
  }
}

/** Plain decompression of the layers, in this process: read the blob files, gunzip, drop the bytes. */
async function gunzipLayers(layout: BenchLayout, digests: readonly string[]): Promise<{ ms: number; out: number }> {
  let out = 0;
  const t = performance.now();
  for (const d of digests) {
    await pipeline(
      createReadStream(join(layout.dir, 'blobs', 'sha256', d.slice(7))),
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          out += chunk.length;
          cb();
        },
      }),
    );
  }
  return { ms: performance.now() - t, out };
}

async function sectionDeep(ctx: Context): Promise<void> {
  const t = performance.now();
  const deep = await ensureLayout(join(work, 'images'), `deep-${deepMb}mb`, deepSpecs(deepMb), true);
  log(`deep-check images ready (${seconds(performance.now() - t)})`);
  await push(ctx.skopeo, deep, ctx.a, 'bench/deep-bottom', freshCache(), 'bottom');
  await push(ctx.skopeo, deep, ctx.a, 'bench/deep-top', freshCache(), 'top');
  const [bottomImg, topImg] = deep.images as [BenchImage, BenchImage];
  const layerBytes = bottomImg.layers.reduce((n, l) => n + l.size, 0);
  const tarBytes = bottomImg.layers.reduce((n, l) => n + l.tarSize, 0);
  const check = (repo: string) =>
    archfit(['check', '--deep', '--platform', 'linux/amd64', `${ctx.a.host}/${repo}:latest`]);

  const client = new RegistryClient({});
  try {
    // The library in this process, as the CLI runs it: manifest, config, then the layers top-down.
    const analyze = async (repo: string) => {
      const store = client.repository(ctx.a.host, repo);
      const started = performance.now();
      const manifest = await store.getManifest('latest');
      if (manifest.parsed.kind !== 'image') throw new Error('expected an image manifest');
      const config = await getConfig(store, manifest.parsed.manifest.config);
      const analysis = await analyzeEntrypoint(store, { manifest, config }, 'linux/amd64');
      const ms = performance.now() - started;
      if (!analysis.fits) throw new Error(`deep check of ${repo}: ${JSON.stringify(analysis.findings)}`);
      return { ms, analysis };
    };
    const cli: number[] = [];
    const lib: number[] = [];
    const plain: number[] = [];
    const pairs: number[] = [];
    let bytesRead = 0;
    let layersRead = 0;
    let cliRequests: Record<string, number> = {};
    const topDown = [...bottomImg.layers].reverse().map((l) => l.digest);
    for (let i = 0; i <= runs; i++) {
      const g = await gunzipLayers(deep, topDown);
      const l = await analyze('bench/deep-bottom');
      const r = await countRequests([ctx.a], () => check('bench/deep-bottom'));
      if (!r.value.stdout.includes('linux/amd64')) throw new Error(`check --deep: ${r.value.stdout}`);
      if (i === 0) continue; // warm-up
      plain.push(g.ms);
      lib.push(l.ms);
      cli.push(r.value.ms);
      pairs.push(g.ms / l.ms);
      bytesRead = l.analysis.bytesRead;
      layersRead = l.analysis.layersRead;
      cliRequests = r.requests;
    }
    const plainT = summary(plain);
    const libT = summary(lib);
    const cliT = summary(cli);
    rows.push({
      figure: `deep check, entrypoint in the bottom layer (${bottomImg.layers.length} layers, ${mib(layerBytes)} gzip, ${mib(tarBytes)} tar): library in this process vs plain gunzip of the same blobs`,
      archfit: `${timeSummary(libT)}, ${throughput(layerBytes, libT.median)}; read ${layersRead} layers, ${mib(bytesRead)}`,
      skopeo: `gunzip: ${timeSummary(plainT)}, ${throughput(layerBytes, plainT.median)}`,
      ratio: `throughput ${ratioSummary(summary(pairs))}`,
      target: 'throughput ratio ≥ 0.7',
    });
    rows.push({
      figure: 'deep check, bottom: `archfit check --deep` (the CLI, its start-up included)',
      archfit: `${timeSummary(cliT)}, ${throughput(layerBytes, cliT.median)}`,
      skopeo: `gunzip: ${seconds(plainT.median)}`,
      ratio: `throughput ${ratio(plainT.median / cliT.median)}`,
      target: '',
    });
    rows.push({
      figure: 'deep check, bottom: HTTP requests',
      archfit: requestCount(cliRequests),
      skopeo: '',
      ratio: '',
      target: '',
    });

    const topLayer = topImg.layers[topImg.layers.length - 1]!;
    const l = await analyze('bench/deep-top');
    await ctx.a.requests();
    ctx.a.resetRequests();
    const r = await check('bench/deep-top');
    const log = await ctx.a.requests();
    // Which layer blobs the CLI fetched, from the registry's access log.
    const fetched = log
      .filter((e) => e.method === 'GET' && e.path.includes('/blobs/'))
      .map((e) => e.path.slice(e.path.indexOf('/blobs/') + 7))
      .filter((d) => topImg.layers.some((x) => x.digest === d));
    const onlyTop = fetched.length === 1 && fetched[0] === topLayer.digest;
    rows.push({
      figure: `deep check, entrypoint in the top layer (${topImg.layers.length} layers, ${mib(topImg.layers.reduce((n, x) => n + x.size, 0))}): what is read`,
      archfit: `library: ${l.analysis.layersRead} layer, ${l.analysis.bytesRead} bytes (the top layer is ${topLayer.size} bytes); CLI: ${fetched.length} layer blob GET (${onlyTop ? 'the top layer' : 'not only the top layer'}), ${seconds(r.ms)}`,
      skopeo: '',
      ratio: '',
      target: 'only the top layer',
    });
    rows.push({
      figure: 'deep check, top: HTTP requests',
      archfit: requestCount(byMethod(log)),
      skopeo: '',
      ratio: '',
      target: '',
    });
  } finally {
    await client.close();
  }
}

async function sectionMemory(ctx: Context): Promise<void> {
  const sizes = [memMb / 4, memMb];
  const results: Array<{ mb: number; bytes: number; af: Timed; sk: Timed }> = [];
  for (const mb of sizes) {
    const t = performance.now();
    const layout = await ensureLayout(join(work, 'images'), `mem-${mb}mb`, memSpecs(mb));
    log(`image mem-${mb}mb ready (${seconds(performance.now() - t)})`);
    await push(ctx.skopeo, layout, ctx.a, `bench/mem-${mb}`, freshCache());
    await settle();
    const af = await archfit([
      'copy',
      '--no-progress',
      `${ctx.a.host}/bench/mem-${mb}:latest`,
      `${ctx.b.host}/archfit/mem-${mb}:latest`,
    ]);
    expectDigest(af.stdout, layout.root.digest, 'archfit copy (memory)');
    const cache = freshCache();
    await settle();
    const sk = await ctx.skopeo.run(
      ctx.skopeo.copyArgs(
        `docker://${ctx.a.host}/bench/mem-${mb}:latest`,
        `docker://${ctx.b.host}/skopeo/mem-${mb}:latest`,
        ctx.a,
        ctx.b,
      ),
      cache,
    );
    rmSync(cache, { recursive: true, force: true });
    log(
      `memory ${mb} MiB: archfit ${mib(af.rss ?? 0)} ${seconds(af.ms)}, skopeo ${mib(sk.rss ?? 0)} ${seconds(sk.ms)}`,
    );
    results.push({ mb, bytes: layout.totalBytes, af, sk });
    // Cheap to make again (random bytes, stored) and the largest by far: not kept unless asked.
    if (!opts['keep-images']) rmSync(layout.dir, { recursive: true, force: true });
  }
  for (const r of results) {
    rows.push({
      figure: `copy of a single ${mib(r.bytes)} layer: peak RSS (wall time)`,
      archfit: `${mib(r.af.rss ?? 0)} (${seconds(r.af.ms)})`,
      skopeo: `${mib(r.sk.rss ?? 0)} (${seconds(r.sk.ms)})`,
      ratio: ratio((r.af.rss ?? 0) / (r.sk.rss ?? 1)),
      target: r.mb === memMb ? 'archfit ≤ 150 MiB, flat in layer size' : '',
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  mkdirSync(work, { recursive: true });
  mkdirSync(archfitHome, { recursive: true });
  await ensureBuilt();
  const skopeoVersion = (await run('skopeo', ['--version'])).stdout
    .toString()
    .trim()
    .replace(/^skopeo version /, '');
  const registryVersion = (await run('docker-registry', ['--version'], { allowFailure: true })).stdout
    .toString()
    .trim()
    .split(/\s+/)
    .slice(1, 3)
    .join(' ');
  const machine = machineInfo(skopeoVersion, `docker-registry ${registryVersion}`, rssMethod);
  log(`load average at start: ${machine.loadStart}; ${quick ? 'quick' : 'full'} run, ${runs} runs per tool`);

  const skopeo = new Skopeo(work);
  const a = await startRegistry();
  let b: TestRegistry | undefined;
  try {
    b = await startRegistry();
    const ctx: Context = { a, b, skopeo, seedCache: join(work, 'skopeo-cache', 'seed') };
    rmSync(join(work, 'skopeo-cache'), { recursive: true, force: true });
    for (const section of SECTIONS) {
      if (!only.has(section)) continue;
      const t = performance.now();
      log(`— ${section}`);
      if (section === 'copy') await sectionCopy(ctx);
      else if (section === 'mount') await sectionMount(ctx);
      else if (section === 'noop') await sectionNoop(ctx);
      else if (section === 'inspect') await sectionInspect(ctx);
      else if (section === 'deep') await sectionDeep(ctx);
      else await sectionMemory(ctx);
      log(`${section} done in ${seconds(performance.now() - t)}`);
    }
  } finally {
    await b?.stop();
    await a.stop();
    rmSync(join(work, 'skopeo-cache'), { recursive: true, force: true });
    if (opts.clean) rmSync(join(work, 'images'), { recursive: true, force: true });
  }
  // The load at the start is what else runs on the machine; later the benchmark's own processes count in it.
  const before = Number(machine.loadStart.split(' ')[0]);
  if (before > machine.cores / 2) {
    notes.push(
      `Other work was running (load average ${before.toFixed(2)} at the start, on ${machine.cores} cores): wall times are noisier than usual; the tools took turns run by run, so the noise hits both.`,
    );
  }
  notes.push(
    'Targets that these numbers miss, and why (profiles, the floor, the CPU of each process): bench/NOTES.md.',
  );
  machine.loadEnd = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const parameters = [
    `multi-platform image: ${PLATFORMS.length} platforms × 4 layers of random bytes (gzip, stored), ${sizeMb} MiB in all`,
    `runs per tool: ${runs} for copies and the deep check, ${shortRuns} for the sub-second figures (mounts, re-copies, inspect), archfit and skopeo alternating, warm-up runs not counted`,
    `deep check: 4 filler layers (about 2:1 compressible, gzip level 6) over a bottom layer holding the entrypoint, ${deepMb} MiB of gzip in all`,
    `memory: single-layer images of ${memMb / 4} and ${memMb} MiB`,
    `archfit: \`node dist/cli.js\`${extraJobs.length > 0 ? ` ${extraJobs.join(' ')}` : ''}; skopeo: \`skopeo copy --all --src-tls-verify=false --dest-tls-verify=false\` with an empty blob-info cache per run (so it mounts nothing it learnt in an earlier run), except in the mount figures, where its cache knows the source repository`,
    `total bench time: ${seconds(performance.now() - started)}`,
  ];
  const report = markdownReport({
    title: quick ? 'archfit vs skopeo: benchmark (quick run)' : 'archfit vs skopeo: benchmark',
    machine,
    parameters,
    rows,
    notes,
  });
  process.stdout.write(`\n${report}`);
  const out = opts.out ?? (quick || opts.only !== undefined ? undefined : join(benchDir, 'RESULTS.md'));
  if (out) {
    writeFileSync(out, report);
    log(`wrote ${relative(root, out)}`);
  }
}

await main();
