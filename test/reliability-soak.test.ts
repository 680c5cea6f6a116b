// Reliability under faults: the six-platform fixture copied between two real registries through a fault-injecting
// proxy in front of EACH of them (source reads and destination writes both fail), many times over from seeds.
// After every run a walker that shares no code with archfit (plain HTTP, JSON.parse, node:crypto) reads the
// destination straight from the registry: a tag that exists must point at a whole tree whose every digest and size
// verifies. Each run either succeeds with the source digest or fails cleanly (an ArchfitError of a "failure" code;
// through the CLI: exit 3 and one line on stderr), within a deadline; a failed run is then repeated without faults
// and must complete. A seed is printed for every run that goes wrong, to replay it
// (RELIABILITY_SOAK_SEED=<seed> RELIABILITY_SOAK_RUNS=1).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copy } from '../src/copy/index.js';
import { ERROR_CODES, type ErrorCode, errorKind, isArchfitError } from '../src/errors.js';
import { RegistryClient, type RegistryClientOptions, type RetryPolicy } from '../src/registry/index.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, type CliRun } from './support/cli.js';
import {
  type Fault,
  type FaultProxy,
  type FaultRule,
  faultTimes,
  isBlobGet,
  isBlobUpload,
  isManifestGet,
  isManifestPut,
  type ProxiedRequest,
  seededRandom,
  startFaultProxy,
} from './support/fault-proxy.js';
import { type Fixtures, loadFixtures, type PushedFixture, pushFixture } from './support/fixtures.js';
import { startRegistry, type TestRegistry } from './support/registry.js';
import { type TreeReport, walkTree } from './support/tree-walker.js';

const RUNS = Number(process.env['RELIABILITY_SOAK_RUNS'] ?? 50);
const FIRST_SEED = Number(process.env['RELIABILITY_SOAK_SEED'] ?? 20260601);
/** Share of requests that get a fault, on each side. */
const FAULT_RATE = 0.1;
/** Every fifth run goes through the CLI (default retry policy, exit code, one line); the rest through the library. */
const CLI_EVERY = 5;
const LIBRARY_DEADLINE_MS = 30_000;
const CLI_DEADLINE_MS = 90_000;

/** Retries as the library allows callers to set them: quick, so a run with ten faults takes a second, not ten. */
const FAST_RETRY: Partial<RetryPolicy> = {
  maxAttempts: 5,
  baseDelayMs: 5,
  maxDelayMs: 80,
  maxRetryAfterMs: 2_000,
  maxTotalWaitMs: 10_000,
};
/** Library runs also time out silent connections fast, so stalls and long delays are recovered, not waited out. */
const FAST_CLIENT: RegistryClientOptions = { retry: FAST_RETRY, headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 };

let fx: Fixtures;
let a: TestRegistry;
let b: TestRegistry;
let tokenRegistry: TestRegistry;
let srcProxy: FaultProxy;
let dstProxy: FaultProxy;
let tokenProxy: FaultProxy;
let pushed: PushedFixture;
/** Sizes of the fixture's blobs and manifests by digest. */
const sizes = new Map<string, number>();

before(async () => {
  fx = await loadFixtures();
  [a, b, tokenRegistry] = await Promise.all([startRegistry(), startRegistry(), startRegistry({ auth: 'token' })]);
  pushed = await pushFixture(a, fx.multiArch);
  for (const d of [fx.multiArch.root, ...fx.multiArch.children, ...fx.multiArch.blobs]) sizes.set(d.digest, d.size);
  [srcProxy, dstProxy, tokenProxy] = await Promise.all([
    startFaultProxy({ target: a.url }),
    startFaultProxy({ target: b.url }),
    startFaultProxy({ target: tokenRegistry.url }),
  ]);
});
after(async () => {
  await Promise.all([srcProxy?.close(), dstProxy?.close(), tokenProxy?.close()]);
  await Promise.all([a?.stop(), b?.stop(), tokenRegistry?.stop()]);
});

// --- faults -------------------------------------------------------------------------------------------------------

type FaultLabel =
  | 'HTTP 500'
  | 'HTTP 502'
  | 'HTTP 503'
  | 'HTTP 429 + Retry-After'
  | 'HTTP 429'
  | 'reset before headers'
  | 'reset mid-body'
  | 'truncated body'
  | 'flipped bytes'
  | 'delay'
  | 'slow body'
  | 'stall'
  | 'lost response'
  | 'corrupted upload';

type Profile = 'library' | 'cli';

interface Choice {
  label: FaultLabel;
  weight: number;
  make: (random: () => number) => Fault;
}

const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function choicesFor(r: ProxiedRequest, profile: Profile): Choice[] {
  const out: Choice[] = [
    { label: 'HTTP 500', weight: 1, make: () => ({ type: 'respond', status: 500, body: 'internal error' }) },
    {
      label: 'HTTP 502',
      weight: 1,
      make: () => ({ type: 'respond', status: 502, body: '<html>bad gateway</html>' }),
    },
    {
      label: 'HTTP 503',
      weight: 1,
      make: (random) =>
        random() < 0.5
          ? { type: 'respond', status: 503 }
          : { type: 'respond', status: 503, headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' } },
    },
    {
      label: 'HTTP 429 + Retry-After',
      weight: 1,
      make: (random) => ({
        type: 'respond',
        status: 429,
        headers: { 'retry-after': random() < 0.2 ? '1' : '0', 'content-type': 'application/json' },
        body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
      }),
    },
    { label: 'HTTP 429', weight: 1, make: () => ({ type: 'respond', status: 429 }) },
    { label: 'reset before headers', weight: 1, make: () => ({ type: 'reset', afterBytes: 0 }) },
    {
      label: 'delay',
      weight: 1,
      // Library runs time headers out after 1 s: some delays are longer than that, and must be retried.
      make: (random) => ({
        type: 'delay',
        ms: profile === 'library' && random() < 0.2 ? 1_500 : between(random, 20, 200),
      }),
    },
  ];
  const isGetWithBody = isBlobGet(r) || isManifestGet(r);
  if (isGetWithBody) {
    // Cut within what is there (sizes from the fixture): a cut past the end would be no fault at all.
    const size = sizes.get(/sha256:[0-9a-f]{64}/.exec(r.path)?.[0] ?? '') ?? fx.multiArch.root.size;
    const cut = (random: () => number) => between(random, 1, Math.max(1, size - 1));
    out.push(
      { label: 'reset mid-body', weight: 2, make: (random) => ({ type: 'reset', afterBytes: cut(random) }) },
      { label: 'truncated body', weight: 2, make: (random) => ({ type: 'truncate', afterBytes: cut(random) }) },
      {
        label: 'flipped bytes',
        weight: 0.5,
        make: (random) => ({ type: 'corrupt', atByte: cut(random) - 1, length: between(random, 1, 4) }),
      },
      {
        label: 'slow body',
        weight: 2,
        make: () => ({ type: 'slow', chunkBytes: isBlobGet(r) ? 64 * 1024 : 64, intervalMs: 3 }),
      },
      {
        label: 'stall',
        weight: 2,
        // Library runs time a silent body out after 1 s; the CLI's 60 s would be too long to wait here.
        make: (random) => ({ type: 'stall', afterBytes: cut(random), ms: profile === 'library' ? 3_000 : 300 }),
      },
    );
  }
  if (r.method !== 'GET') out.push({ label: 'lost response', weight: 1, make: () => ({ type: 'lose-response' }) });
  if (r.method === 'PUT' && (isBlobUpload(r) || isManifestPut(r))) {
    out.push({
      label: 'corrupted upload',
      weight: 0.4,
      make: (random) => ({ type: 'corrupt-request', atByte: between(random, 0, 150) }),
    });
  }
  return out;
}

type Tally = Map<FaultLabel, number>;

/** Faults on `rate` of the requests, chosen from a seed among those that make sense for each request. */
function soakRule(seed: number, rate: number, profile: Profile, tally: Tally): FaultRule {
  const random = seededRandom(seed);
  return (r) => {
    if (random() >= rate) return undefined;
    const choices = choicesFor(r, profile);
    let pick = random() * choices.reduce((n, c) => n + c.weight, 0);
    let choice = choices[0]!;
    for (const c of choices) {
      choice = c;
      pick -= c.weight;
      if (pick < 0) break;
    }
    tally.set(choice.label, (tally.get(choice.label) ?? 0) + 1);
    return choice.make(random);
  };
}

// --- runs ---------------------------------------------------------------------------------------------------------

type Outcome =
  | { kind: 'success'; digest: string }
  | { kind: 'clean failure'; code: ErrorCode; line: string }
  | { kind: 'bad failure'; why: string }
  | { kind: 'hang' };

const ONE_LINE = /^archfit: ([A-Z_]+): [^\n]+\n$/;

function isFailureCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) && errorKind(code as ErrorCode) === 'failure';
}

function deadline<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One copy through the library, with a fresh client (so the ping and the auth discovery are faulted too). */
async function libraryCopy(dstRepo: string): Promise<Outcome> {
  const client = new RegistryClient(FAST_CLIENT);
  const signal = AbortSignal.timeout(LIBRARY_DEADLINE_MS);
  try {
    const run = copy(
      client.repository(srcProxy.host, pushed.repo),
      pushed.tag,
      client.repository(dstProxy.host, dstRepo),
      'v1',
      { signal },
    );
    const result = await deadline(run, LIBRARY_DEADLINE_MS + 5_000);
    if (result === 'timeout') return { kind: 'hang' };
    return { kind: 'success', digest: result.destination.digest };
  } catch (error) {
    if (signal.aborted) return { kind: 'hang' };
    if (isArchfitError(error) && error.kind === 'failure') {
      if (error.message.includes('\n'))
        return { kind: 'bad failure', why: `a message of several lines: ${error.message}` };
      return { kind: 'clean failure', code: error.code, line: error.message };
    }
    return { kind: 'bad failure', why: `not a failure ArchfitError: ${String((error as Error)?.stack ?? error)}` };
  } finally {
    await client.close();
  }
}

function cliOutcome(run: CliRun | 'timeout'): Outcome {
  if (run === 'timeout') return { kind: 'hang' };
  if (run.code === 0) {
    try {
      return {
        kind: 'success',
        digest: (JSON.parse(run.stdout) as { destination: { digest: string } }).destination.digest,
      };
    } catch {
      return { kind: 'bad failure', why: `exit 0 without a JSON summary: ${run.stdout}` };
    }
  }
  const m = ONE_LINE.exec(run.stderr);
  if (run.code !== 3) return { kind: 'bad failure', why: `exit ${run.code}: ${run.stderr}` };
  if (!m || !isFailureCode(m[1]!)) return { kind: 'bad failure', why: `exit 3 but not one clear line: ${run.stderr}` };
  if (run.stdout !== '') return { kind: 'bad failure', why: `exit 3 with output: ${run.stdout}` };
  return { kind: 'clean failure', code: m[1] as ErrorCode, line: run.stderr.trim() };
}

/** One copy through the CLI in this process: default retry policy, exit code and stderr as a user sees them. */
async function cliCopy(dstRepo: string): Promise<Outcome> {
  const run = archfit([
    'copy',
    '--json',
    `${srcProxy.host}/${pushed.repo}:${pushed.tag}`,
    `${dstProxy.host}/${dstRepo}:v1`,
  ]);
  return cliOutcome(await deadline(run, CLI_DEADLINE_MS));
}

/** The destination as the registry holds it: whole, with the source digest, or absent. Problems, one per line. */
function judgeTree(tree: TreeReport, mustExist: boolean): string[] {
  const problems = [...tree.problems];
  if (mustExist && !tree.exists) problems.push('the tag is missing after a successful copy');
  if (tree.exists) {
    if (tree.digest !== fx.multiArch.root.digest) problems.push(`the tag points at ${tree.digest}, not the source`);
    if (tree.manifests !== 1 + fx.multiArch.children.length) problems.push(`${tree.manifests} manifests in the tree`);
    if (tree.blobs !== fx.multiArch.blobs.length) problems.push(`${tree.blobs} blobs in the tree`);
  }
  return problems;
}

interface RunRecord {
  run: number;
  seed: number;
  via: Profile;
  outcome: Outcome;
  faults: number;
  rerun?: Outcome;
  broken: string[];
  ms: number;
}

function clearRules(): void {
  srcProxy.setRule(undefined);
  dstProxy.setRule(undefined);
}

describe('soak: the six-platform index copied through faults on both sides', () => {
  test(`${RUNS} seeded runs, ${FAULT_RATE * 100}% of requests faulted on each side, then a walk of the destination`, async (t) => {
    const tally: Tally = new Map();
    const bySide = { source: 0, destination: 0 };
    const records: RunRecord[] = [];
    const started = Date.now();
    try {
      for (let i = 0; i < RUNS; i++) {
        const seed = FIRST_SEED + i;
        const via: Profile = i % CLI_EVERY === CLI_EVERY - 1 ? 'cli' : 'library';
        const repo = `soak/run-${seed}`;
        const runTally: Tally = new Map();
        srcProxy.reset();
        dstProxy.reset();
        srcProxy.setRule(soakRule(seed * 2, FAULT_RATE, via, runTally));
        dstProxy.setRule(soakRule(seed * 2 + 1, FAULT_RATE, via, runTally));
        const t0 = Date.now();
        const outcome = via === 'cli' ? await cliCopy(repo) : await libraryCopy(repo);
        const ms = Date.now() - t0;
        clearRules();
        bySide.source += srcProxy.log.filter((l) => l.fault !== 'pass').length;
        bySide.destination += dstProxy.log.filter((l) => l.fault !== 'pass').length;
        let faults = 0;
        for (const [label, n] of runTally) {
          tally.set(label, (tally.get(label) ?? 0) + n);
          faults += n;
        }
        const record: RunRecord = { run: i, seed, via, outcome, faults, broken: [], ms };
        records.push(record);
        if (outcome.kind === 'hang') {
          // A run that hung may still be writing: leave its repository alone.
          continue;
        }
        if (outcome.kind === 'success' && outcome.digest !== fx.multiArch.root.digest) {
          record.broken.push(`succeeded with digest ${outcome.digest}`);
        }
        record.broken.push(...judgeTree(await walkTree(b, repo, 'v1'), outcome.kind === 'success'));
        if (outcome.kind !== 'success') {
          record.rerun = via === 'cli' ? await cliCopy(repo) : await libraryCopy(repo);
          record.broken.push(...judgeTree(await walkTree(b, repo, 'v1'), true).map((p) => `after the rerun: ${p}`));
          if (record.rerun.kind !== 'success') record.broken.push(`the rerun without faults did not succeed`);
        }
      }
    } finally {
      clearRules();
    }

    const count = (kind: Outcome['kind'], via?: Profile) =>
      records.filter((r) => r.outcome.kind === kind && (via === undefined || r.via === via)).length;
    const avgMs = (via: Profile) => {
      const of = records.filter((r) => r.via === via);
      return of.length === 0 ? 0 : Math.round(of.reduce((n, r) => n + r.ms, 0) / of.length);
    };
    const codes = new Map<string, number>();
    for (const r of records) {
      if (r.outcome.kind === 'clean failure') codes.set(r.outcome.code, (codes.get(r.outcome.code) ?? 0) + 1);
    }
    const totalFaults = [...tally.values()].reduce((n, v) => n + v, 0);
    const broken = records.filter((r) => r.broken.length > 0);
    const lines = [
      `soak report (seeds ${FIRST_SEED}..${FIRST_SEED + RUNS - 1}, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `runs: ${records.length} (${records.filter((r) => r.via === 'library').length} library, ${records.filter((r) => r.via === 'cli').length} CLI)`,
      `faults injected: ${totalFaults} (source side ${bySide.source}, destination side ${bySide.destination})`,
      ...[...tally.entries()].sort((x, y) => y[1] - x[1]).map(([label, n]) => `  ${label}: ${n}`),
      `successes: ${count('success')} (library ${count('success', 'library')}, CLI ${count('success', 'cli')})`,
      `clean failures: ${count('clean failure')} (library ${count('clean failure', 'library')}, CLI ${count('clean failure', 'cli')}): ${[...codes.entries()].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}`,
      `reruns without faults: ${records.filter((r) => r.rerun).length}, all succeeded: ${records.every((r) => !r.rerun || r.rerun.kind === 'success')}`,
      `bad failures: ${count('bad failure')}, hangs: ${count('hang')}`,
      `time per run: library ${avgMs('library')} ms, CLI ${avgMs('cli')} ms on average; longest ${Math.max(...records.map((r) => r.ms))} ms`,
      ...records
        .filter((r) => r.outcome.kind === 'clean failure')
        .map(
          (r) =>
            `  seed ${r.seed} (${r.via}): ${r.outcome.kind === 'clean failure' ? r.outcome.line.slice(0, 160) : ''}`,
        ),
      `broken destinations: ${broken.length}`,
    ];
    for (const line of lines) t.diagnostic(line);
    console.log(lines.map((l) => `# ${l}`).join('\n'));

    const bad = records.filter(
      (r) => r.outcome.kind === 'bad failure' || r.outcome.kind === 'hang' || r.broken.length > 0,
    );
    assert.deepEqual(
      bad.map((r) => ({ seed: r.seed, via: r.via, outcome: r.outcome, rerun: r.rerun, broken: r.broken })),
      [],
      'every run succeeds or fails cleanly in time, and leaves no broken destination',
    );
    assert.equal(records.length, RUNS);
    assert.ok(totalFaults >= RUNS * 3, `faults were injected (${totalFaults})`);
    assert.ok(bySide.source > 0 && bySide.destination > 0, 'both sides were faulted');
    assert.ok(count('success') > 0, 'some runs succeed through the faults');
    if (RUNS >= 20) {
      for (const label of [
        'HTTP 500',
        'HTTP 429 + Retry-After',
        'reset before headers',
        'reset mid-body',
        'lost response',
      ] as const) {
        assert.ok((tally.get(label) ?? 0) > 0, `the soak injected "${label}"`);
      }
      assert.ok(count('success', 'cli') > 0, 'CLI runs succeed through the faults');
    }
  });
});

// --- one fault at a time --------------------------------------------------------------------------------------------

interface MatrixCase {
  name: string;
  side: 'source' | 'destination';
  match: (r: ProxiedRequest) => boolean;
  fault: Fault;
  /** How many matching requests get it (default 1). */
  times?: number;
  /** undefined: the copy succeeds. */
  code?: ErrorCode;
  /** The longest the copy may take. */
  maxMs?: number;
}

const isBlobPut = (r: ProxiedRequest) => r.method === 'PUT' && isBlobUpload(r);
const isUploadStart = (r: ProxiedRequest) => r.method === 'POST' && isBlobUpload(r);
const isHead = (r: ProxiedRequest) => r.method === 'HEAD';
/** The child manifests (by digest), not the top one. */
const isChildGet = (r: ProxiedRequest) => isManifestGet(r) && /\/manifests\/sha256:/.test(r.path);

const MATRIX: MatrixCase[] = [
  { name: '500 on a blob GET', side: 'source', match: isBlobGet, fault: { type: 'respond', status: 500 } },
  { name: '502 on a manifest GET', side: 'source', match: isManifestGet, fault: { type: 'respond', status: 502 } },
  {
    name: '503 with a Retry-After date on a blob GET',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'respond', status: 503, headers: { 'retry-after': new Date(Date.now() - 1000).toUTCString() } },
  },
  {
    name: '429 with Retry-After: 1 on a blob GET (waited out)',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'respond', status: 429, headers: { 'retry-after': '1' } },
  },
  {
    name: '429 without Retry-After on a manifest GET',
    side: 'source',
    match: isManifestGet,
    fault: { type: 'respond', status: 429 },
  },
  {
    name: 'connection reset before the headers of a blob GET',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'reset', afterBytes: 0 },
  },
  {
    name: 'connection reset mid-body (resumed with Range)',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'reset', afterBytes: 100_000 },
  },
  {
    name: 'a body cut short under a correct Content-Length',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'truncate', afterBytes: 250_000 },
  },
  {
    name: 'connection reset in the middle of a child manifest (the GET is repeated)',
    side: 'source',
    match: isChildGet,
    fault: { type: 'reset', afterBytes: 100 },
  },
  {
    name: 'a child manifest cut short under a correct Content-Length (the GET is repeated)',
    side: 'source',
    match: isChildGet,
    fault: { type: 'truncate', afterBytes: 100 },
  },
  {
    name: 'flipped bytes in a layer',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'corrupt', atByte: 100, length: 3 },
    code: 'DIGEST_MISMATCH',
  },
  {
    name: 'a flipped byte in a child manifest',
    side: 'source',
    match: isChildGet,
    fault: { type: 'corrupt', atByte: 40 },
    code: 'DIGEST_MISMATCH',
  },
  {
    name: 'a delay longer than the headers timeout',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'delay', ms: 1_500 },
  },
  {
    name: 'a slow body',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'slow', chunkBytes: 32 * 1024, intervalMs: 5 },
  },
  {
    name: 'a body that stalls longer than the body timeout',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'stall', afterBytes: 50_000, ms: 5_000 },
  },
  {
    name: 'a Retry-After longer than the client waits: TOO_MANY_REQUESTS at once',
    side: 'source',
    match: isManifestGet,
    fault: { type: 'respond', status: 429, headers: { 'retry-after': '3600' } },
    times: 100,
    code: 'TOO_MANY_REQUESTS',
    maxMs: 1_000,
  },
  {
    name: 'a 503 that does not end: REGISTRY_ERROR once the budget is spent',
    side: 'source',
    match: isBlobGet,
    fault: { type: 'respond', status: 503 },
    times: 1_000,
    code: 'REGISTRY_ERROR',
    maxMs: 5_000,
  },
  {
    name: '500 on the upload PUT (the upload starts over)',
    side: 'destination',
    match: isBlobPut,
    fault: { type: 'respond', status: 500 },
  },
  {
    name: '429 on the upload POST',
    side: 'destination',
    match: isUploadStart,
    fault: { type: 'respond', status: 429 },
  },
  {
    name: 'connection reset before the headers of an upload PUT',
    side: 'destination',
    match: isBlobPut,
    fault: { type: 'reset', afterBytes: 0 },
  },
  {
    name: 'the answer to an upload PUT lost (the blob is stored)',
    side: 'destination',
    match: isBlobPut,
    fault: { type: 'lose-response' },
  },
  { name: 'the answer to a HEAD lost', side: 'destination', match: isHead, fault: { type: 'lose-response' } },
  { name: '503 on a manifest PUT', side: 'destination', match: isManifestPut, fault: { type: 'respond', status: 503 } },
  {
    name: 'the answer to the tagging manifest PUT lost (repeated: same bytes, same name)',
    side: 'destination',
    match: (r) => isManifestPut(r) && /\/manifests\/v1$/.test(r.path),
    fault: { type: 'lose-response' },
  },
  {
    name: 'an upload corrupted on its way: the registry refuses it',
    side: 'destination',
    match: isBlobPut,
    fault: { type: 'corrupt-request', atByte: 10 },
    code: 'DIGEST_MISMATCH',
  },
  {
    name: 'a 500 on every upload PUT: REGISTRY_ERROR once the budget is spent, no tag',
    side: 'destination',
    match: isBlobPut,
    fault: { type: 'respond', status: 500 },
    times: 1_000,
    code: 'REGISTRY_ERROR',
    maxMs: 5_000,
  },
];

describe('one fault at a time: recovered, or a clean failure with its code and no tag', () => {
  let n = 0;
  for (const c of MATRIX) {
    test(`${c.side}: ${c.name}`, async () => {
      const repo = `matrix/case-${++n}`;
      const proxy = c.side === 'source' ? srcProxy : dstProxy;
      proxy.reset();
      proxy.setRule(faultTimes(c.match, c.fault, c.times ?? 1));
      const client = new RegistryClient(FAST_CLIENT);
      const t0 = Date.now();
      let error: unknown;
      try {
        await copy(
          client.repository(srcProxy.host, pushed.repo),
          pushed.tag,
          client.repository(dstProxy.host, repo),
          'v1',
          {
            platforms: ['linux/arm64', 'linux/amd64'],
            signal: AbortSignal.timeout(LIBRARY_DEADLINE_MS),
          },
        );
      } catch (e) {
        error = e;
      } finally {
        proxy.setRule(undefined);
        await client.close();
      }
      const ms = Date.now() - t0;
      assert.ok(
        proxy.log.some((l) => l.fault === c.fault.type),
        `the fault was injected: ${JSON.stringify(proxy.log.map((l) => `${l.method} ${l.path} ${l.fault}`))}`,
      );
      const tree = await walkTree(b, repo, 'v1');
      assert.deepEqual(tree.problems, [], 'the destination verifies');
      if (c.code === undefined) {
        assert.equal(error, undefined, `the copy recovers: ${String((error as Error)?.message)}`);
        assert.ok(tree.exists, 'tagged');
      } else {
        assert.ok(isArchfitError(error, c.code), `expected ${c.code}, got ${String((error as Error)?.stack ?? error)}`);
        assert.ok(!error.message.includes('\n'), 'one line');
        assert.equal(tree.exists, false, 'nothing tagged');
      }
      if (c.maxMs !== undefined) assert.ok(ms < c.maxMs, `bounded: ${ms} ms`);
    });
  }
});

// --- concurrency --------------------------------------------------------------------------------------------------

describe('concurrency: two copies of the same image to the same destination at once', () => {
  test('through the CLI, no faults, three rounds: each succeeds or fails cleanly; the destination verifies', async () => {
    // Both copies write the same children at once. The registry itself may refuse the index of one of them while the
    // other rewrites a child it lists (the filesystem driver of distribution 2.8 rewrites files in place, so a reader
    // can see one empty; later releases write a temporary file and rename it): that copy must then fail cleanly, and
    // the destination must still be whole or untagged.
    const outcomes: Outcome[] = [];
    for (let round = 0; round < 3; round++) {
      const repo = `concurrent/cli-${round}`;
      const pair = await Promise.all([cliCopy(repo), cliCopy(repo)]);
      outcomes.push(...pair);
      for (const o of pair) {
        assert.ok(o.kind === 'success' || o.kind === 'clean failure', `round ${round}: ${JSON.stringify(o)}`);
        if (o.kind === 'success') assert.equal(o.digest, fx.multiArch.root.digest);
      }
      const anySuccess = pair.some((o) => o.kind === 'success');
      assert.deepEqual(judgeTree(await walkTree(b, repo, 'v1'), anySuccess), [], `round ${round}`);
      if (pair.some((o) => o.kind !== 'success')) {
        assert.equal((await cliCopy(repo)).kind, 'success', `round ${round}: the rerun completes`);
        assert.deepEqual(judgeTree(await walkTree(b, repo, 'v1'), true), []);
      }
    }
    assert.ok(outcomes.filter((o) => o.kind === 'success').length >= 3, JSON.stringify(outcomes));
  });

  test('through the library with faults on both sides, five seeds: each succeeds or fails cleanly; the destination verifies', async () => {
    const outcomes: Outcome[] = [];
    for (let round = 0; round < 5; round++) {
      const repo = `concurrent/lib-${round}`;
      const tally: Tally = new Map();
      srcProxy.setRule(soakRule(7000 + round * 2, FAULT_RATE, 'library', tally));
      dstProxy.setRule(soakRule(7001 + round * 2, FAULT_RATE, 'library', tally));
      let pair: Outcome[];
      try {
        pair = await Promise.all([libraryCopy(repo), libraryCopy(repo)]);
      } finally {
        clearRules();
      }
      outcomes.push(...pair);
      for (const o of pair) {
        assert.ok(o.kind === 'success' || o.kind === 'clean failure', `round ${round}: ${JSON.stringify(o)}`);
        if (o.kind === 'success') assert.equal(o.digest, fx.multiArch.root.digest);
      }
      const anySuccess = pair.some((o) => o.kind === 'success');
      assert.deepEqual(judgeTree(await walkTree(b, repo, 'v1'), anySuccess), [], `round ${round}`);
      if (!anySuccess) {
        assert.equal((await libraryCopy(repo)).kind, 'success', `round ${round}: the rerun completes`);
        assert.deepEqual(judgeTree(await walkTree(b, repo, 'v1'), true), []);
      }
    }
    assert.ok(
      outcomes.some((o) => o.kind === 'success'),
      'some concurrent copies succeed',
    );
  });
});

// --- 401 in the middle of a copy ----------------------------------------------------------------------------------

describe('a token registry behind the proxy asks for a fresh token in the middle of a copy', () => {
  test('401 invalid_token on a HEAD, the upload PUT and the manifest PUT: new tokens, the copy completes (CLI)', async () => {
    const server = tokenRegistry.tokenServer!;
    const repo = 'token/mirror';
    const challenge = `Bearer realm="${server.realm}",service="${server.service}",scope="repository:${repo}:pull,push",error="invalid_token"`;
    const unauthorized: Fault = {
      type: 'respond',
      status: 401,
      headers: { 'www-authenticate': challenge, 'content-type': 'application/json' },
      body: '{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}',
    };
    // Fire once each, and only after the copy is under way (a token was used already).
    let seenAuthorized = false;
    const once = (match: (r: ProxiedRequest) => boolean) => faultTimes((r) => seenAuthorized && match(r), unauthorized);
    const rules = [once(isHead), once(isBlobPut), once(isManifestPut)];
    tokenProxy.reset();
    tokenProxy.setRule((r) => {
      const hit = rules.map((rule) => rule(r)).find((f) => f !== undefined);
      if (typeof r.headers.authorization === 'string' && r.headers.authorization.startsWith('Bearer ')) {
        seenAuthorized = true;
      }
      return hit;
    });
    const home = makeTempDir('soak-home');
    const auth = Buffer.from(`${tokenRegistry.username}:${tokenRegistry.password}`).toString('base64');
    const dockerDir = join(home, '.docker');
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [tokenProxy.host]: { auth } } }));
    const before = server.count;
    let run: CliRun;
    try {
      run = await archfit(
        ['copy', '--json', `${a.host}/${pushed.repo}:${pushed.tag}`, `${tokenProxy.host}/${repo}:v1`],
        { HOME: home },
      );
    } finally {
      tokenProxy.setRule(undefined);
    }
    assert.equal(run.code, 0, run.stderr);
    const injected = tokenProxy.log.filter((l) => l.fault === 'respond' && l.status === 401);
    assert.equal(injected.length, 3, JSON.stringify(tokenProxy.log.filter((l) => l.status === 401)));
    // One token at the start, one more for each 401 (the token was thrown away and fetched again).
    assert.ok(server.count - before >= 4, `${server.count - before} token requests`);
    const tree = await walkTree(tokenRegistry, repo, 'v1');
    assert.deepEqual(judgeTree(tree, true), []);
  });
});
