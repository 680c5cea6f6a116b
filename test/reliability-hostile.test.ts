// Hostile inputs, end to end: every case of test/fixtures/hostile/cases.json is served by a scripted registry (and,
// where the bytes can sit in files, stored in an OCI layout), then read by the CLI (inspect, inspect --platform,
// inspect --deep, copy into an OCI layout). Each command must end with the case's expected exit code and error code
// on one line, never a crash, within a deadline; the big cases also within a memory bound. Foreign layer URLs point
// at a second local server that must never be contacted. Then property tests of the parsers that take untrusted
// text and that test/reference.test.ts, test/platform.test.ts and test/registry-unit.test.ts do not already cover.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { exitCodeFor } from '../src/cli/exit.js';
import { isDigest, parseDigest } from '../src/digest/index.js';
import { ArchfitError, ERROR_CODES, type ErrorCode, errorKind, isArchfitError } from '../src/errors.js';
import { MediaType, parseConfig, parseManifest } from '../src/image/index.js';
import { parseLocalLocation } from '../src/layout/index.js';
import { parseTokenResponse } from '../src/registry/auth.js';
import { parseRegistryErrors } from '../src/registry/errors.js';
import { nextLink, parseRetryAfter, redactUrl, resolveLocation } from '../src/registry/index.js';
import { parseContentRange, parseSafeInteger, parseUploadRange } from '../src/registry/url.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit, type CliRun } from './support/cli.js';
import {
  buildCase,
  type Expectation,
  type HostileCase,
  type HostileImage,
  loadHostileTable,
  topDigest,
  writeHostileLayout,
} from './support/hostile-corpus.js';
import {
  type ScriptedRegistry,
  sha256,
  startRecordingServer,
  startScriptedRegistry,
} from './support/scripted-registry.js';

const table = loadHostileTable();
const COMMAND_DEADLINE_MS = 30_000;
const MiB = 1024 * 1024;
/** Growth a big case may cause (its inputs are up to 64 MiB: holding one whole would show). */
const RSS_BOUND = 96 * MiB;
const HEAP_BOUND = 48 * MiB;

let registry: ScriptedRegistry;
let foreign: ScriptedRegistry;

interface Prepared {
  img: HostileImage;
  repo: string;
  /** The OCI layout holding the same bytes, when the case has a layout variant. */
  layout?: string;
}
const prepared = new Map<string, Prepared>();

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function serve(img: HostileImage, repo: string): void {
  registry.setManifest(`${repo}:t`, img.top);
  registry.setManifest(`${repo}@${topDigest(img)}`, img.top);
  // A registry that lies in Docker-Content-Digest serves the same bytes under its lie.
  const claimed = img.top.headers?.['docker-content-digest'];
  if (claimed !== undefined && isDigest(claimed)) registry.setManifest(`${repo}@${claimed}`, img.top);
  for (const o of img.objects) {
    if (o.kind === 'manifest') registry.setManifest(`${repo}@${o.digest}`, o);
    else registry.setBlob(`${repo}@${o.digest}`, o);
  }
  if (img.anyDigest) registry.setAnyDigest(repo, img.anyDigest);
}

before(async () => {
  foreign = await startRecordingServer('foreign layer bytes');
  registry = await startScriptedRegistry();
  for (const c of [...table.manifests, ...table.layers]) {
    const img = await buildCase(c, { foreignUrl: foreign.url });
    const repo = `hostile/${slug(c.name)}`;
    serve(img, repo);
    const p: Prepared = { img, repo };
    if (c.expect.layout !== undefined) {
      assert.ok(!img.serverOnly, `${c.name}: a server-only case has no layout variant`);
      p.layout = makeTempDir('hostile-layout');
      writeHostileLayout(p.layout, img);
    }
    prepared.set(c.name, p);
  }
});
after(async () => {
  await registry?.close();
  await foreign?.close();
});

// --- running one command ------------------------------------------------------------------------------------------

interface Measured {
  run: CliRun | 'timeout';
  ms: number;
  rssGrowth: number;
  heapGrowth: number;
}

async function measure(args: string[]): Promise<Measured> {
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let rssPeak = rss0;
  let heapPeak = heap0;
  const sample = () => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  };
  const sampler = setInterval(sample, 10);
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  try {
    const run = await Promise.race([
      archfit(args),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), COMMAND_DEADLINE_MS);
      }),
    ]);
    sample();
    return { run, ms: performance.now() - t0, rssGrowth: rssPeak - rss0, heapGrowth: heapPeak - heap0 };
  } finally {
    clearInterval(sampler);
    clearTimeout(timer);
  }
}

const ONE_LINE = /^archfit: ([A-Z_]+): [^\n]+\n$/;

/** Asserts that a run ended as expected: exit 0 ("ok", "findings:…"), or the code's exit and one line naming it. */
function assertOutcome(m: Measured, expected: Expectation, label: string): void {
  assert.notEqual(m.run, 'timeout', `${label}: no answer within ${COMMAND_DEADLINE_MS} ms`);
  const run = m.run as CliRun;
  const shown = `${label}: exit ${run.code}\nstdout: ${run.stdout.slice(0, 600)}\nstderr: ${run.stderr.slice(0, 600)}`;
  if (expected === 'ok' || expected.startsWith('findings:')) {
    assert.equal(run.code, 0, shown);
    if (expected.startsWith('findings:')) {
      const want = expected.slice('findings:'.length).split(',').filter(Boolean).sort();
      const got = JSON.parse(run.stdout) as { entrypoint?: { findings: Array<{ code: string }> } };
      assert.ok(got.entrypoint, `${label}: a deep result`);
      assert.deepEqual(got.entrypoint.findings.map((f) => f.code).sort(), want, shown);
    }
    return;
  }
  assert.ok((ERROR_CODES as readonly string[]).includes(expected), `${label}: ${expected} is an error code`);
  const code = expected as ErrorCode;
  const line = ONE_LINE.exec(run.stderr);
  assert.ok(line, `${label}: one clear line on stderr\n${shown}`);
  assert.equal(line[1], code, shown);
  assert.equal(run.code, exitCodeFor(errorKind(code)), shown);
  assert.equal(run.stdout, '', `${label}: nothing on stdout`);
}

type Command = 'inspect' | 'inspectPlatform' | 'deep' | 'copy';

function argsFor(command: Command, image: string): string[] {
  switch (command) {
    case 'inspect':
      return ['inspect', image, '--json'];
    case 'inspectPlatform':
      return ['inspect', '--platform', 'linux/amd64', image, '--json'];
    case 'deep':
      return ['inspect', '--deep', '--platform', 'linux/amd64', image, '--json'];
    case 'copy':
      return ['copy', image, `oci:${makeTempDir('hostile-copy')}:v1`, '--json'];
  }
}

async function runCase(c: HostileCase): Promise<void> {
  const p = prepared.get(c.name)!;
  const image = c.byDigest ? `${registry.host}/${p.repo}@${topDigest(p.img)}` : `${registry.host}/${p.repo}:t`;
  const foreignBefore = foreign.requests.length;
  const commands = (['inspect', 'inspectPlatform', 'deep', 'copy'] as const).filter((k) => c.expect[k] !== undefined);
  for (const command of commands) {
    const before = registry.requests.length;
    const m = await measure(argsFor(command, image));
    const label = `${c.name} / ${command}`;
    assertOutcome(m, c.expect[command]!, label);
    if (c.big) {
      assert.ok(m.rssGrowth < RSS_BOUND, `${label}: RSS grew by ${(m.rssGrowth / MiB).toFixed(1)} MiB`);
      assert.ok(m.heapGrowth < HEAP_BOUND, `${label}: the heap grew by ${(m.heapGrowth / MiB).toFixed(1)} MiB`);
      process.stdout.write(
        `# ${label}: ${m.ms.toFixed(0)} ms, RSS +${(m.rssGrowth / MiB).toFixed(1)} MiB, heap +${(m.heapGrowth / MiB).toFixed(1)} MiB\n`,
      );
    }
    // Nothing is asked for more than a handful of times (no loop, no fan-out without memoising).
    const asked = registry.requests.slice(before);
    const perPath = new Map<string, number>();
    for (const r of asked) perPath.set(`${r.method} ${r.path}`, (perPath.get(`${r.method} ${r.path}`) ?? 0) + 1);
    const most = Math.max(0, ...perPath.values());
    assert.ok(most <= 2, `${label}: a path was asked for ${most} times: ${JSON.stringify([...perPath])}`);
    assert.ok(asked.length < 100, `${label}: ${asked.length} requests`);
  }
  if (p.layout !== undefined) {
    const first = (['inspect', 'inspectPlatform', 'deep'] as const).find((k) => c.expect[k] !== undefined);
    assert.ok(first, `${c.name}: a layout variant needs a read command`);
    const m = await measure(argsFor(first, `oci:${p.layout}:hostile`));
    assertOutcome(m, c.expect.layout!, `${c.name} / layout ${first}`);
    if (c.big)
      assert.ok(m.rssGrowth < RSS_BOUND, `${c.name} / layout: RSS grew by ${(m.rssGrowth / MiB).toFixed(1)} MiB`);
  }
  assert.equal(foreign.requests.length, foreignBefore, `${c.name}: the foreign host was contacted`);
}

describe('hostile manifests, configs and descriptors (scripted registry and OCI layout)', () => {
  for (const c of table.manifests) test(`${c.name}: ${summary(c)}`, c.todo ? { todo: c.todo } : {}, () => runCase(c));

  test('fan-out: an index naming one child 4000 times fetches it once', async () => {
    const p = prepared.get('the same child 4000 times')!;
    const child = p.img.objects.find((o) => o.kind === 'manifest')!;
    const path = `/v2/${p.repo}/manifests/${child.digest}`;
    const before = registry.count(new RegExp(`^${path}$`), 'GET');
    const run = await archfit(['copy', `${registry.host}/${p.repo}:t`, `oci:${makeTempDir('fan-out')}:v1`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(registry.count(new RegExp(`^${path}$`), 'GET') - before, 1);
  });

  test('foreign URLs: never contacted by inspect, copy or a deep check; the copy keeps the descriptor', async () => {
    const p = prepared.get('foreign layer with urls to another host')!;
    const dir = makeTempDir('foreign');
    const run = await archfit(['copy', `${registry.host}/${p.repo}:t`, `oci:${dir}:v1`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const copied = await archfit(['inspect', `oci:${dir}:v1`, '--raw']);
    assert.equal(copied.code, 0, copied.stderr);
    assert.ok(Buffer.from(copied.stdout).equals(p.img.top.bytes), 'the manifest, urls included, byte for byte');
    const deep = await archfit(['inspect', '--deep', '--platform', 'linux/amd64', `${registry.host}/${p.repo}:t`]);
    assert.notEqual(deep.code, 0, 'a layer that cannot be fetched cannot be analysed');
    assert.match(deep.stderr, /^archfit: [A-Z_]+: /);
    assert.equal(foreign.requests.length, 0, JSON.stringify(foreign.requests));
  });
});

describe('hostile layers through a registry (inspect --deep)', () => {
  for (const c of table.layers) test(`${c.name}: ${summary(c)}`, c.todo ? { todo: c.todo } : {}, () => runCase(c));

  test('the cases already covered by test/deep.test.ts and test/binary.test.ts are listed with their tests', () => {
    assert.ok(table.coveredElsewhere.length >= 10);
    for (const e of table.coveredElsewhere) {
      assert.match(e.test, /^test\/(deep|binary)\.test\.ts › /, e.input);
      assert.ok(e.outcome.length > 0 && e.input.length > 0);
    }
  });
});

function summary(c: HostileCase): string {
  return Object.entries(c.expect)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

// --- properties ----------------------------------------------------------------------------------------------------

const CODES = new Set<string>(ERROR_CODES);

/** Runs `fn`; anything thrown must be an ArchfitError with one of `allowed` codes (all known codes by default). */
function onlyArchfitErrors<T>(fn: () => T, allowed?: readonly ErrorCode[]): T | ArchfitError {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof ArchfitError)) throw new Error(`threw something else: ${String(error)}`, { cause: error });
    if (!CODES.has(error.code)) throw new Error(`unknown code ${error.code}`);
    if (allowed && !allowed.includes(error.code)) throw new Error(`unexpected code ${error.code}: ${error.message}`);
    if (error.message.includes('\n')) throw new Error(`a message of several lines: ${error.message}`);
    return error;
  }
}

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'.split('')), minLength: n, maxLength: n });
const digestish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .tuple(
      fc.constantFrom('sha256', 'sha384', 'sha512', 'md5', 'SHA256', ''),
      fc.constantFrom(':', '', '::'),
      fc.oneof(hex(64), hex(96), hex(128), hex(63), fc.string({ maxLength: 70 })),
    )
    .map(([a, s, h]) => `${a}${s}${h}`),
  fc.constantFrom('sha256:../../etc/passwd', `sha256:${'a'.repeat(64)}?x=1`, `sha256:${'a'.repeat(64)}\n`),
);

describe('properties of parsers of untrusted text', () => {
  test('parseDigest: a digest comes back unchanged (and re-parses to itself), anything else is INVALID_DIGEST', () => {
    fc.assert(
      fc.property(fc.oneof(digestish, fc.anything()), (input) => {
        const out = onlyArchfitErrors(() => parseDigest(input), ['INVALID_DIGEST']);
        if (out instanceof ArchfitError) {
          assert.equal(isDigest(input), false);
          return;
        }
        assert.equal(out, input);
        assert.equal(parseDigest(out), out);
        assert.match(out, /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/);
      }),
      { numRuns: 2000 },
    );
  });

  test('parseLocalLocation: a location or INVALID_REFERENCE; writing the parse back out parses the same', () => {
    const existing = new Set(['out', '/data/a:b', '/data/img.tar', 'x:y']);
    const exists = (p: string) => existing.has(p);
    const piece = fc.constantFrom(
      'oci:',
      'docker-archive:',
      'out',
      '/data/a:b',
      '/data/img.tar',
      'x:y',
      ':',
      '@',
      'v1',
      'repo/app',
      'Bad Name',
      `sha256:${'a'.repeat(64)}`,
      '@1',
      '\0',
      'localhost:5000/',
      '..',
    );
    const input = fc.oneof(
      fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `oci:${s}`),
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `docker-archive:${s}`),
    );
    const format = (l: { kind: string; path: string; reference: string | undefined }) =>
      `${l.kind}:${l.path}${l.reference === undefined ? '' : isDigest(l.reference) && l.kind === 'oci' ? `@${l.reference}` : `:${l.reference}`}`;
    fc.assert(
      fc.property(input, (s) => {
        const out = onlyArchfitErrors(() => parseLocalLocation(s, { exists }), ['INVALID_REFERENCE']);
        if (out instanceof ArchfitError) {
          assert.ok(out.message.includes(JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s)), out.message);
          return;
        }
        assert.deepEqual(parseLocalLocation(format(out), { exists }), out, format(out));
      }),
      { numRuns: 2000 },
    );
  });

  // Documents shaped like manifests, made of the fields the parser reads, with wrong types mixed in.
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
  const mediaTypes = fc.constantFrom(...Object.values(MediaType), 'application/json', '', 'x/y');
  const descriptor = fc.record(
    {
      mediaType: fc.oneof(mediaTypes, anyValue),
      digest: fc.oneof(digestish, fc.constant(`sha256:${'a'.repeat(64)}`), anyValue),
      size: fc.oneof(fc.integer({ min: -2, max: 2 ** 40 }), fc.double(), fc.constant(2 ** 60), anyValue),
      urls: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), anyValue),
      annotations: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
        anyValue,
      ),
      platform: fc.oneof(
        fc.record(
          {
            os: fc.oneof(fc.string({ maxLength: 8 }), anyValue),
            architecture: fc.oneof(fc.string({ maxLength: 8 }), anyValue),
          },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
    },
    { requiredKeys: [] },
  );
  const manifestish = fc.record(
    {
      schemaVersion: fc.oneof(fc.constant(2), fc.constant(1), anyValue),
      mediaType: fc.oneof(mediaTypes, anyValue),
      manifests: fc.oneof(fc.array(descriptor, { maxLength: 3 }), anyValue),
      config: fc.oneof(descriptor, anyValue),
      layers: fc.oneof(fc.array(descriptor, { maxLength: 3 }), anyValue),
      subject: fc.oneof(descriptor, anyValue),
      annotations: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 0 }), { maxKeys: 2 }),
        anyValue,
      ),
      Layers: anyValue,
      MediaType: anyValue,
    },
    { requiredKeys: [] },
  );
  // Well-formed documents, and the same with one field replaced by anything.
  const lowerHex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 64, maxLength: 64 });
  const goodDescriptor = fc.record(
    {
      mediaType: fc.constantFrom(...Object.values(MediaType)),
      digest: lowerHex.map((h) => `sha256:${h}`),
      size: fc.nat(),
      platform: fc.record({ os: fc.constantFrom('linux', 'unknown'), architecture: fc.constantFrom('amd64', 'arm') }),
      annotations: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
    },
    { requiredKeys: ['mediaType', 'digest', 'size'] },
  );
  const goodDoc = fc.oneof(
    fc.record(
      {
        schemaVersion: fc.constant(2),
        mediaType: fc.constantFrom(MediaType.OciIndex, MediaType.DockerManifestList),
        manifests: fc.array(goodDescriptor, { maxLength: 3 }),
      },
      { requiredKeys: ['schemaVersion', 'manifests'] },
    ),
    fc.record(
      {
        schemaVersion: fc.constant(2),
        mediaType: fc.constantFrom(MediaType.OciManifest, MediaType.DockerManifest),
        config: goodDescriptor,
        layers: fc.array(goodDescriptor, { maxLength: 3 }),
        subject: goodDescriptor,
      },
      { requiredKeys: ['schemaVersion', 'config', 'layers'] },
    ),
  );
  const mutated = fc
    .tuple(
      goodDoc,
      fc.constantFrom('schemaVersion', 'mediaType', 'manifests', 'config', 'layers', 'subject', 'Config'),
      anyValue,
    )
    .map(([doc, key, value]) => ({ ...doc, [key]: value }));
  const bytesOf = fc.oneof(
    goodDoc.map((d) => Buffer.from(JSON.stringify(d))),
    mutated.map((d) => Buffer.from(JSON.stringify(d))),
    manifestish.map((d) => Buffer.from(JSON.stringify(d))),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    manifestish.chain((d) =>
      fc.nat().map((cut) => {
        const text = JSON.stringify(d);
        return Buffer.from(text.slice(0, cut % (text.length + 1)));
      }),
    ),
  );
  const contentType = fc.option(fc.oneof(mediaTypes, fc.string({ maxLength: 20 })), { nil: undefined });

  test('parseManifest: a manifest or MANIFEST_INVALID / UNSUPPORTED_MEDIA_TYPE / SIZE_LIMIT; a parse serialises to the same parse', () => {
    let parsed = 0;
    fc.assert(
      fc.property(bytesOf, contentType, (bytes, ct) => {
        const out = onlyArchfitErrors(
          () => parseManifest(bytes, { contentType: ct }),
          ['MANIFEST_INVALID', 'UNSUPPORTED_MEDIA_TYPE', 'SIZE_LIMIT'],
        );
        if (out instanceof ArchfitError) return;
        parsed++;
        const doc = out.kind === 'index' ? out.index : out.manifest;
        const again = parseManifest(Buffer.from(JSON.stringify(doc)), { contentType: ct });
        assert.equal(again.kind, out.kind);
        assert.equal(again.mediaType, out.mediaType);
        assert.deepEqual(again.kind === 'index' ? again.index : again.manifest, doc);
      }),
      { numRuns: 3000 },
    );
    assert.ok(parsed > 20, `some inputs parse (${parsed})`);
  });

  test('parseConfig: a config or MANIFEST_INVALID / SIZE_LIMIT, never another error', () => {
    const configish = fc.record(
      {
        architecture: fc.oneof(fc.constantFrom('amd64', 'arm64'), anyValue),
        os: fc.oneof(fc.constant('linux'), anyValue),
        variant: anyValue,
        created: anyValue,
        rootfs: fc.oneof(
          fc.record({
            type: fc.constant('layers'),
            diff_ids: fc.oneof(fc.array(digestish, { maxLength: 2 }), anyValue),
          }),
          anyValue,
        ),
        config: fc.oneof(
          fc.record(
            { Entrypoint: anyValue, Cmd: anyValue, Env: anyValue, User: anyValue, WorkingDir: anyValue },
            { requiredKeys: [] },
          ),
          anyValue,
        ),
        Architecture: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          configish.map((c) => Buffer.from(JSON.stringify(c))),
          fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
        ),
        (bytes) => {
          onlyArchfitErrors(() => parseConfig(bytes), ['MANIFEST_INVALID', 'SIZE_LIMIT']);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('header and body parsers of the registry client are total: a value, undefined, or a REGISTRY_ERROR', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.constantFrom(
        'bytes 0-9/10',
        'bytes 5-1/10',
        'bytes 0-9/*',
        '0-99',
        'bytes=0-1',
        '120',
        'Thu, 01 Jan 1970 00:00:00 GMT',
        '</v2/x?n=1>; rel="next"',
        '99999999999999999999',
      ),
    );
    const base = new URL('https://registry.example/v2/app/blobs/uploads/');
    fc.assert(
      fc.property(text, fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }), (s, list) => {
        const header = list ?? s;
        for (const fn of [parseSafeInteger, parseContentRange, parseUploadRange, nextLink])
          onlyArchfitErrors(() => fn(header));
        const after = parseRetryAfter(header, Date.now());
        assert.ok(after === undefined || (Number.isFinite(after) && after >= 0));
        const n = parseSafeInteger(header);
        assert.ok(n === undefined || (Number.isSafeInteger(n) && n >= 0));
        onlyArchfitErrors(() => resolveLocation(s, base, { allowHttp: () => false }), ['REGISTRY_ERROR']);
        onlyArchfitErrors(() => parseTokenResponse(Buffer.from(s), Date.now(), 'GET x'), ['REGISTRY_ERROR']);
        onlyArchfitErrors(() => parseRegistryErrors(Buffer.from(s)));
        onlyArchfitErrors(() => redactUrl(s));
      }),
      { numRuns: 3000 },
    );
  });

  test('a token response with a token that could inject a header is refused', () => {
    for (const token of ['a\r\nX-Evil: 1', 'tok en', '', 'x'.repeat(70_000)]) {
      assert.throws(
        () => parseTokenResponse(Buffer.from(JSON.stringify({ token })), Date.now(), 'GET realm'),
        (e: unknown) => isArchfitError(e, 'REGISTRY_ERROR'),
      );
    }
  });
});

// Referenced from docs: the corpus table's own shape is checked, so a case without an expectation cannot slip in.
test('the corpus table: every case names a file or a generator and expects something for a command', () => {
  const names = new Set<string>();
  for (const c of [...table.manifests, ...table.layers]) {
    assert.ok(!names.has(c.name), `duplicate case ${c.name}`);
    names.add(c.name);
    assert.ok((c.file === undefined) !== (c.generator === undefined), `${c.name}: a file or a generator`);
    assert.ok(Object.keys(c.expect).length > 0, `${c.name}: an expectation`);
    assert.ok(c.why.length > 0, `${c.name}: why`);
  }
  assert.ok(table.manifests.length >= 30, `${table.manifests.length} manifest cases`);
  assert.equal(sha256('').length, 71);
});
