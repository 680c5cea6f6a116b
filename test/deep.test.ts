// The deep check against reality. Every harness fixture, and images made up here, are analysed through a
// ContentStore over their OCI layout; then the same image is extracted by the independent oracle into a temp dir
// and its entrypoint really exec'd there under chroot (natively for amd64 and 386, under qemu-user-static for other
// architectures), and the kernel's answer must be the one predicted. Hostile layers (traversal, escaping and looping
// links, broken hard links, a gzip bomb, garbage, truncation, a thousand layers, zstd oddities) must each end in a
// clear finding or an ArchfitError with a code, within a deadline and bounded memory.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ArchfitError, type ErrorCode, isArchfitError } from '../src/errors.js';
import {
  analyzeEntrypoint,
  type EntrypointAnalysis,
  type FindingCode,
  judgeEntrypoint,
  nodeHasZstd,
  RootfsReader,
  traceEntrypoint,
  type ZstdDecoder,
  ZstdFrameWalker,
} from '../src/rootfs/index.js';
import { type RealOutcome, type RealRun, realExecUnavailable, runImageForReal } from './support/deep-exec.js';
import {
  busybox,
  type CraftedImage,
  type CraftImage,
  craftImage,
  DEFAULT_ENV,
  dir,
  exe,
  file,
  gzipBomb,
  hardlink,
  skippableFrame,
  symlink,
  tarHeader,
  zstdWith,
} from './support/deep-layers.js';
import { readElfFacts } from './support/elf.js';
import {
  DEEP_CHECK_FIXTURES,
  type DeepCheckOutcome,
  type Fixture,
  type FixtureImage,
  loadFixtures,
} from './support/fixtures.js';
import { TestLayoutStore } from './support/layout-store.js';
import { makeTar, sha256Digest } from './support/oci-layout.js';

const REAL_SKIP = realExecUnavailable();

/** The kernel's answer that a prediction stands for (the first error decides). */
function predictedOutcome(r: EntrypointAnalysis): RealOutcome {
  const error = r.findings.find((f) => f.severity === 'error');
  if (!error) return 'fits';
  switch (error.code) {
    case 'BINARY_ARCH_MISMATCH':
    case 'SCRIPT_NO_SHEBANG':
    case 'BINARY_OS_MISMATCH':
    case 'BINARY_MALFORMED':
      return 'exec-format';
    case 'INTERPRETER_INVALID':
      return error.detail?.['errno'] === 'ELOOP' ? 'loop' : 'exec-format';
    case 'ENTRYPOINT_MISSING':
      return 'missing';
    case 'INTERPRETER_MISSING':
    case 'SHEBANG_CRLF':
      return 'interpreter-missing';
    case 'NOT_EXECUTABLE':
      return 'not-executable';
    case 'SYMLINK_LOOP':
      return 'loop';
    default:
      return 'other';
  }
}

/** The fixture harness's outcome names, as finding codes. */
const OUTCOME_CODE: Record<DeepCheckOutcome, FindingCode | undefined> = {
  fits: undefined,
  'arch-mismatch': 'BINARY_ARCH_MISMATCH',
  'entrypoint-missing': 'ENTRYPOINT_MISSING',
  'interpreter-missing': 'INTERPRETER_MISSING',
  'exec-format-error': 'SCRIPT_NO_SHEBANG',
  'interpreter-crlf': 'SHEBANG_CRLF',
};

const errorCodes = (r: EntrypointAnalysis) => r.findings.filter((f) => f.severity === 'error').map((f) => f.code);
const codes = (r: EntrypointAnalysis) => r.findings.map((f) => f.code).sort();

function argvOf(config: { Entrypoint?: string[]; Cmd?: string[] } | undefined): string[] {
  return config?.Entrypoint?.length ? [...config.Entrypoint, ...(config.Cmd ?? [])] : [...(config?.Cmd ?? [])];
}

/** Runs a fixture image for real (oracle extraction + chroot exec) acting as a host of `architecture`. */
function realFixture(fixture: Fixture, image: FixtureImage, architecture: string): Promise<RealRun> {
  return runImageForReal(fixture, image, {
    argv: argvOf({
      ...(image.entrypoint ? { Entrypoint: image.entrypoint } : {}),
      ...(image.cmd ? { Cmd: image.cmd } : {}),
    }),
    env: image.env ?? DEFAULT_ENV,
    architecture,
  });
}

function realCrafted(c: CraftedImage, spec: CraftImage, architecture = 'amd64'): Promise<RealRun> {
  return runImageForReal(c, c.image, {
    argv: argvOf(spec.config),
    env: c.env,
    ...(spec.config?.WorkingDir ? { workingDir: spec.config.WorkingDir } : {}),
    architecture,
  });
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<ArchfitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isArchfitError(error), `expected ArchfitError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ArchfitError ${code}, but it resolved`);
}

// ---------------------------------------------------------------------------------------------------------------

describe('deep check: the harness fixtures, predicted and then run for real', () => {
  for (const name of DEEP_CHECK_FIXTURES) {
    test(name, async () => {
      const fixture = (await loadFixtures())[name];
      const expect = fixture.expect!;
      const image = fixture.images[0]!;
      const store = new TestLayoutStore(fixture.dir);
      const r = await analyzeEntrypoint(store, { manifest: image.manifest as never });

      // The prediction is what the fixture says.
      const code = OUTCOME_CODE[expect.outcome];
      assert.deepEqual(errorCodes(r), code ? [code] : [], JSON.stringify(r.findings, null, 1));
      assert.equal(r.fits, code === undefined);
      assert.deepEqual(r.argv, expect.command);
      if (expect.resolvedPath) assert.equal(r.path, expect.resolvedPath);
      if (expect.elf) assert.equal(r.elf?.machine, expect.elf.machine);
      if (expect.interpreter !== undefined) {
        const asked = r.script?.interpreter ?? r.elf?.interpreter;
        assert.equal(asked, expect.interpreter);
      }
      for (const f of r.findings) {
        assert.ok(f.message.length > 20 && !f.message.includes('\n'), f.message);
        if (f.layer) assert.ok(image.layers.some((l) => l.digest === f.layer));
      }
      if (r.layer) assert.ok(image.layers.some((l) => l.digest === r.layer));

      // And it is what the kernel does.
      if (REAL_SKIP) return;
      const real = await realFixture(fixture, image, image.platform.architecture);
      assert.equal(real.outcome, predictedOutcome(r), `real: ${JSON.stringify(real)}`);
    });
  }

  test('chains and layers: PATH lookup, relative symlink, the upper layer wins', async () => {
    const fixture = (await loadFixtures()).pathSymlinkOverride;
    const image = fixture.images[0]!;
    const r = await analyzeEntrypoint(new TestLayoutStore(fixture.dir), { manifest: image.manifest as never });
    assert.deepEqual(r.chain, ['hello', '/usr/local/bin/hello', '/bin/busybox']);
    assert.equal(r.file, 'ELF 64-bit LSB x86-64, static');
    assert.equal(r.layer, image.layers[1]!.digest);
    // /usr/local/sbin/hello is looked for first, and only a full read of both layers proves it absent.
    assert.equal(r.layersRead, 2);
  });

  test('missingLoader: the loader asked for, and where the walk stopped', async () => {
    const fixture = (await loadFixtures()).missingLoader;
    const image = fixture.images[0]!;
    const r = await analyzeEntrypoint(new TestLayoutStore(fixture.dir), { manifest: image.manifest as never });
    assert.equal(r.interpreter?.role, 'loader');
    assert.equal(r.interpreter?.requested, fixture.expect!.interpreter);
    assert.equal(r.interpreter?.path, undefined);
    assert.match(r.findings[0]!.message, /loader .* is not in the image/);
  });
});

describe('deep check: multi-arch index, each image on each kind of host', () => {
  const CASES: [string, string, FindingCode[], RealOutcome | 'skip'][] = [
    // [image, platform checked, findings, what a host of that platform does]
    ['linux/amd64', 'linux/amd64', [], 'fits'],
    ['linux/arm64/v8', 'linux/arm64', [], 'fits'],
    ['linux/arm/v7', 'linux/arm/v7', [], 'fits'],
    ['linux/386', 'linux/386', [], 'fits'],
    ['linux/ppc64le', 'linux/ppc64le', [], 'fits'],
    ['linux/s390x', 'linux/s390x', [], 'fits'],
    ['linux/arm64/v8', 'linux/amd64', ['BINARY_ARCH_MISMATCH'], 'exec-format'],
    ['linux/amd64', 'linux/arm64', ['BINARY_ARCH_MISMATCH'], 'exec-format'],
    ['linux/s390x', 'linux/ppc64le', ['BINARY_ARCH_MISMATCH'], 'exec-format'],
    ['linux/386', 'linux/amd64', [], 'fits'],
    // 32-bit ARM on arm64 runs only where the CPU has AArch32; qemu-aarch64 cannot show that.
    ['linux/arm/v7', 'linux/arm64', ['BINARY_ARCH_COMPAT'], 'skip'],
    ['linux/amd64', 'linux/386', ['BINARY_ARCH_MISMATCH'], 'skip'],
  ];
  for (const [imagePlatform, checked, expected, realExpected] of CASES) {
    test(`${imagePlatform} checked as ${checked}`, async () => {
      const fixture = (await loadFixtures()).multiArch;
      const image = fixture.images.find((i) => i.platformString === imagePlatform)!;
      const r = await analyzeEntrypoint(
        new TestLayoutStore(fixture.dir),
        { manifest: image.manifest as never },
        checked,
      );
      assert.deepEqual(codes(r), expected, JSON.stringify(r.findings));
      assert.deepEqual(r.chain, ['/bin/sh', '/bin/busybox']);
      assert.equal(r.layersRead, 1);
      if (expected.includes('BINARY_ARCH_MISMATCH')) {
        const f = r.findings[0]!;
        assert.equal(f.path, '/bin/busybox');
        assert.equal(f.layer, image.layers[0]!.digest);
        assert.match(f.message, /exec format error/);
      }
      if (REAL_SKIP || realExpected === 'skip') return;
      const architecture = checked.split('/')[1]!;
      const real = await realFixture(fixture, image, architecture);
      assert.equal(real.outcome, realExpected, JSON.stringify(real));
      assert.equal(predictedOutcome(r), realExpected);
      if (realExpected === 'fits') {
        const uname: Record<string, string> = {
          amd64: 'x86_64',
          '386': 'x86_64',
          arm64: 'aarch64',
          arm: 'armv7l',
          ppc64le: 'ppc64le',
          s390x: 's390x',
        };
        assert.equal(real.stdout.trim(), uname[architecture], real.stderr);
      }
    });
  }

  test('one trace, judged for many platforms, reads the layers once', async () => {
    const fixture = (await loadFixtures()).multiArch;
    const image = fixture.images.find((i) => i.platformString === 'linux/arm64/v8')!;
    const store = new TestLayoutStore(fixture.dir);
    const trace = await traceEntrypoint(store, { manifest: image.manifest as never });
    const verdicts = ['linux/arm64', 'linux/amd64', 'linux/arm64/v8', 'linux/riscv64'].map((p) => [
      p,
      judgeEntrypoint(trace, p).fits,
    ]);
    assert.deepEqual(verdicts, [
      ['linux/arm64', true],
      ['linux/amd64', false],
      ['linux/arm64/v8', true],
      ['linux/riscv64', false],
    ]);
    assert.equal(store.stats.opened.get(image.layers[0]!.digest), 1);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  image: CraftImage;
  /** Platform checked (default: the declared one). */
  platform?: string;
  /** Every finding code expected (sorted compare). */
  codes: FindingCode[];
  path?: string;
  chain?: string[];
  /** Index of the layer the file comes from. */
  layer?: number;
  /** What the kernel does; false when reality cannot be shown here (why in the name). */
  real: RealOutcome | false;
  check?: (r: EntrypointAnalysis, c: CraftedImage) => void;
}

const BB = () => busybox('amd64');
const ARM = () => busybox('arm64');
const base = () => [dir('bin'), exe('bin/busybox', BB()), symlink('bin/sh', 'busybox')];
const linkChain = (n: number) => [
  dir('l'),
  ...Array.from({ length: n }, (_, i) => symlink(`l/${i}`, i === n - 1 ? '/bin/busybox' : `${i + 1}`)),
];

/** `n` scripts, each the #! interpreter of the one before; the last runs /bin/sh. */
const nestedScripts = (n: number) =>
  Array.from({ length: n }, (_, i) => exe(`s${i}`, i === n - 1 ? '#!/bin/sh\necho ok\n' : `#!/s${i + 1}\n`));

const SCENARIOS: Scenario[] = [
  {
    name: 'five nested #! scripts run',
    image: { layers: [{ entries: [...base(), ...nestedScripts(5)] }], config: { Entrypoint: ['/s0'] } },
    codes: [],
    real: 'fits',
    check: (r) => {
      let depth = 0;
      for (let s = r.interpreter; s; s = s.next) depth++;
      assert.equal(depth, 5);
    },
  },
  {
    name: 'six nested #! scripts are ELOOP',
    image: { layers: [{ entries: [...base(), ...nestedScripts(6)] }], config: { Entrypoint: ['/s0'] } },
    codes: ['INTERPRETER_INVALID'],
    real: 'loop',
  },
  {
    name: 'WorkingDir and a relative ./ entrypoint through a symlink',
    image: {
      layers: [{ entries: [...base(), dir('app'), symlink('app/run', '../bin/busybox')] }],
      config: { Entrypoint: ['./run'], Cmd: ['true'], WorkingDir: '/app' },
    },
    codes: [],
    path: '/bin/busybox',
    chain: ['./run', '/app/run', '/bin/busybox'],
    real: 'fits',
  },
  {
    name: 'PATH: a file without execute bit is skipped for a later executable one',
    image: {
      layers: [
        {
          entries: [...base(), dir('first'), file('first/tool', ARM(), 0o644), dir('second'), exe('second/tool', BB())],
        },
      ],
      config: { Entrypoint: ['tool'], Cmd: ['true'], Env: ['PATH=/first:/second'] },
    },
    codes: [],
    path: '/second/tool',
    real: 'fits',
  },
  {
    name: 'PATH: only a file without execute bit',
    image: {
      layers: [{ entries: [...base(), dir('first'), file('first/tool', BB(), 0o644)] }],
      config: { Entrypoint: ['tool'], Env: ['PATH=/first:/bin'] },
    },
    codes: ['NOT_EXECUTABLE'],
    real: 'not-executable',
  },
  {
    name: 'PATH: not found anywhere',
    image: { layers: [{ entries: base() }], config: { Entrypoint: ['nothere'] } },
    codes: ['ENTRYPOINT_MISSING'],
    real: 'missing',
    check: (r) => assert.match(r.findings[0]!.message, /not found in any PATH directory/),
  },
  {
    name: 'merged /usr: /bin is a symlink to usr/bin',
    image: {
      layers: [
        {
          entries: [
            symlink('bin', 'usr/bin'),
            dir('usr'),
            dir('usr/bin'),
            exe('usr/bin/busybox', BB()),
            symlink('usr/bin/sh', 'busybox'),
          ],
        },
      ],
      config: { Entrypoint: ['/bin/sh', '-c', 'true'] },
    },
    codes: [],
    path: '/usr/bin/busybox',
    chain: ['/bin/sh', '/usr/bin/sh', '/usr/bin/busybox'],
    real: 'fits',
  },
  {
    name: 'a chain of 40 symlinks is followed (Linux MAXSYMLINKS)',
    image: { layers: [{ entries: [...base(), ...linkChain(40)] }], config: { Entrypoint: ['/l/0'], Cmd: ['true'] } },
    codes: [],
    path: '/bin/busybox',
    real: 'fits',
  },
  {
    name: 'a chain of 41 symlinks is ELOOP',
    image: { layers: [{ entries: [...base(), ...linkChain(41)] }], config: { Entrypoint: ['/l/0'] } },
    codes: ['SYMLINK_LOOP'],
    real: 'loop',
  },
  {
    name: 'a symlink loop a -> b -> a',
    image: {
      layers: [{ entries: [...base(), dir('app'), symlink('app/a', 'b'), symlink('app/b', '/app/a')] }],
      config: { Entrypoint: ['/app/a'] },
    },
    codes: ['SYMLINK_LOOP'],
    real: 'loop',
  },
  {
    name: 'a symlink to itself, reached through PATH',
    image: {
      layers: [{ entries: [...base(), dir('app'), symlink('app/self', 'self')] }],
      config: { Entrypoint: ['self'], Env: ['PATH=/app'] },
    },
    // The runtime's lookup skips what it cannot stat: not found on PATH.
    codes: ['ENTRYPOINT_MISSING'],
    real: 'missing',
  },
  {
    name: 'an absolute symlink to a host path is resolved inside the image, not on the host',
    image: {
      layers: [{ entries: [...base(), dir('app'), symlink('app/run', '/usr/bin/true')] }],
      config: { Entrypoint: ['/app/run'] },
    },
    codes: ['ENTRYPOINT_MISSING'],
    real: 'missing',
  },
  {
    name: 'a relative symlink escaping with ../ stops at the image root',
    image: {
      layers: [{ entries: [...base(), dir('app'), symlink('app/run', '../../../../../../../bin/busybox')] }],
      config: { Entrypoint: ['/app/run'], Cmd: ['true'] },
    },
    codes: [],
    path: '/bin/busybox',
    real: 'fits',
  },
  {
    name: 'tar names with ../ and absolute names land inside the root',
    image: {
      layers: [
        {
          entries: [
            dir('bin'),
            exe('../../../bin/busybox', BB()),
            symlink('/bin/sh', 'busybox'),
            file('../../../../etc/archfit-escape', 'x'),
          ],
        },
      ],
      config: { Entrypoint: ['/../../bin/sh', '-c', 'true'] },
    },
    codes: [],
    path: '/bin/busybox',
    real: 'fits',
    check: () => assert.equal(existsSync('/etc/archfit-escape'), false),
  },
  {
    name: 'a path through a regular file is ENOTDIR',
    image: { layers: [{ entries: base() }], config: { Entrypoint: ['/bin/busybox/sh'] } },
    codes: ['ENTRYPOINT_MISSING'],
    real: 'missing',
  },
  {
    name: 'a hard link in an upper layer to a file of a lower layer',
    image: {
      layers: [{ entries: base() }, { entries: [dir('app'), hardlink('app/server', 'bin/busybox')] }],
      config: { Entrypoint: ['/app/server'], Cmd: ['true'] },
    },
    codes: [],
    path: '/app/server',
    layer: 1,
    real: 'fits',
  },
  {
    name: 'a chain of hard links in one layer',
    image: {
      layers: [
        {
          entries: [...base(), dir('app'), hardlink('app/one', 'bin/busybox'), hardlink('app/two', 'app/one')],
        },
      ],
      config: { Entrypoint: ['/app/two'], Cmd: ['true'] },
    },
    codes: [],
    path: '/app/two',
    real: 'fits',
  },
  {
    name: 'a hard link to a missing target (the layer cannot be unpacked; the oracle cannot show that)',
    image: {
      layers: [{ entries: [...base(), dir('app'), hardlink('app/server', 'app/nothere')] }],
      config: { Entrypoint: ['/app/server'] },
    },
    codes: ['BROKEN_HARDLINK'],
    real: false,
  },
  {
    name: 'a whiteout of the directory removes the entrypoint',
    image: {
      layers: [{ entries: [...base(), dir('app'), exe('app/server', BB())] }, { entries: [file('.wh.app', '')] }],
      config: { Entrypoint: ['/app/server'] },
    },
    codes: ['ENTRYPOINT_MISSING'],
    real: 'missing',
    check: (r, c) => {
      assert.equal(r.findings[0]!.layer, c.layers[1]!.digest);
      assert.equal(r.findings[0]!.detail?.['whiteout'], true);
    },
  },
  {
    name: 'a whiteout then a new file in the same layer: the new file stays',
    image: {
      layers: [
        { entries: [...base(), dir('app'), exe('app/server', ARM())] },
        { entries: [dir('app'), file('app/.wh.server', ''), exe('app/server', BB())] },
      ],
      config: { Entrypoint: ['/app/server'], Cmd: ['true'] },
    },
    codes: [],
    layer: 1,
    real: 'fits',
  },
  {
    name: 'a bare .wh. and aufs .wh..wh. names delete nothing (the simple oracle gets .wh. wrong)',
    image: {
      layers: [
        { entries: [...base(), dir('app'), exe('app/server', BB())] },
        { entries: [dir('app'), file('app/.wh.', ''), file('app/.wh..wh..plnk', ''), file('.wh..', '')] },
      ],
      config: { Entrypoint: ['/app/server'], Cmd: ['true'] },
    },
    codes: [],
    layer: 0,
    real: false,
  },
  {
    name: 'an opaque marker listed after the file it keeps: same-layer entries survive',
    image: {
      layers: [
        { entries: [...base(), dir('opt'), dir('opt/app'), exe('opt/app/server', BB()), file('opt/app/README', 'x')] },
        { entries: [dir('opt'), dir('opt/app'), exe('opt/app/server', ARM()), file('opt/app/.wh..wh..opq', '')] },
      ],
      config: { Entrypoint: ['/opt/app/server'] },
    },
    codes: ['BINARY_ARCH_MISMATCH'],
    layer: 1,
    real: 'exec-format',
  },
  {
    name: 'the #! interpreter is an arm64 binary under an amd64 label',
    image: {
      layers: [
        {
          entries: [
            dir('bin'),
            exe('bin/busybox', ARM()),
            symlink('bin/sh', 'busybox'),
            exe('run', '#!/bin/sh\necho hi\n'),
          ],
        },
      ],
      config: { Entrypoint: ['/run'] },
    },
    codes: ['BINARY_ARCH_MISMATCH'],
    real: 'exec-format',
    check: (r) => {
      assert.equal(r.script?.interpreter, '/bin/sh');
      assert.equal(r.interpreter?.role, 'interpreter');
      assert.equal(r.interpreter?.path, '/bin/busybox');
      assert.equal(r.findings[0]!.path, '/bin/busybox');
      assert.match(r.findings[0]!.message, /#! interpreter/);
    },
  },
  {
    name: '#!/usr/bin/env sh: env through a symlink, sh on PATH',
    image: {
      layers: [
        {
          entries: [
            ...base(),
            dir('usr'),
            dir('usr/bin'),
            symlink('usr/bin/env', '../../bin/busybox'),
            exe('run', '#!/usr/bin/env sh\necho hi\n'),
          ],
        },
      ],
      config: { Entrypoint: ['/run'] },
    },
    codes: [],
    real: 'fits',
    check: (r) => {
      assert.equal(r.interpreter?.path, '/bin/busybox');
      assert.equal(r.interpreter?.next?.role, 'env-program');
      assert.deepEqual(r.interpreter?.next?.chain, ['sh', '/bin/sh', '/bin/busybox']);
    },
  },
  {
    name: '#!/usr/bin/env python3 without python3 (env fails at run time)',
    image: {
      layers: [
        {
          entries: [
            ...base(),
            dir('usr'),
            dir('usr/bin'),
            symlink('usr/bin/env', '/bin/busybox'),
            exe('run', '#!/usr/bin/env python3\nprint(1)\n'),
          ],
        },
      ],
      config: { Entrypoint: ['/run'] },
    },
    codes: ['INTERPRETER_MISSING'],
    // The kernel runs env; env then fails (checked below).
    real: false,
  },
  {
    name: '#!/usr/bin/env python3 -u: one argument, so env looks for "python3 -u"',
    image: {
      layers: [
        {
          entries: [
            ...base(),
            dir('usr'),
            dir('usr/bin'),
            symlink('usr/bin/env', '/bin/busybox'),
            exe('usr/bin/python3', BB()),
            exe('run', '#!/usr/bin/env python3 -u\nprint(1)\n'),
          ],
        },
      ],
      config: { Entrypoint: ['/run'] },
    },
    codes: ['INTERPRETER_MISSING'],
    real: false,
    check: (r) => assert.match(r.findings[0]!.message, /-S python3 -u/),
  },
  {
    name: 'CRLF after an argument: the interpreter gets "-e\\r" (it starts, then chokes; shown by the message only)',
    image: {
      layers: [{ entries: [...base(), exe('run', '#!/bin/sh -e\r\necho hi\r\n')] }],
      config: { Entrypoint: ['/run'] },
    },
    codes: ['SHEBANG_CRLF'],
    real: false,
    check: (r) => {
      assert.equal(r.script?.argument, '-e\r');
      assert.equal(r.interpreter?.path, '/bin/busybox');
      assert.match(r.findings[0]!.message, /passes "-e\\r"/);
    },
  },
  {
    name: 'CRLF in #!/usr/bin/env python3: one finding, no PATH search for "python3\\r"',
    image: {
      layers: [
        {
          entries: [
            ...base(),
            dir('usr'),
            dir('usr/bin'),
            symlink('usr/bin/env', '/bin/busybox'),
            exe('run', '#!/usr/bin/env python3\r\n'),
          ],
        },
      ],
      config: { Entrypoint: ['/run'] },
    },
    codes: ['SHEBANG_CRLF'],
    real: false,
  },
  {
    name: 'an empty file',
    image: { layers: [{ entries: [...base(), exe('run', '')] }], config: { Entrypoint: ['/run'] } },
    codes: ['SCRIPT_NO_SHEBANG'],
    real: 'exec-format',
  },
  {
    name: 'a directory as entrypoint',
    image: { layers: [{ entries: [...base(), dir('app')] }], config: { Entrypoint: ['/app'] } },
    codes: ['NOT_EXECUTABLE'],
    real: 'not-executable',
  },
  {
    name: 'an ELF cut after 100 bytes',
    image: { layers: [{ entries: [...base(), exe('run', BB().subarray(0, 100))] }], config: { Entrypoint: ['/run'] } },
    codes: ['BINARY_MALFORMED'],
    real: 'exec-format',
  },
  {
    name: 'a Windows PE program',
    image: {
      layers: [
        {
          entries: [
            ...base(),
            exe(
              'app.exe',
              (() => {
                const b = Buffer.alloc(0x98);
                b.write('MZ', 0, 'latin1');
                b.writeUInt32LE(0x80, 0x3c);
                b.write('PE\0\0', 0x80, 'latin1');
                b.writeUInt16LE(0x8664, 0x84);
                return b;
              })(),
            ),
          ],
        },
      ],
      config: { Entrypoint: ['/app.exe'] },
    },
    codes: ['BINARY_OS_MISMATCH'],
    real: 'exec-format',
  },
  {
    name: 'no Entrypoint and no Cmd',
    image: { layers: [{ entries: base() }], config: {} },
    codes: ['NO_ENTRYPOINT'],
    real: false,
    check: (r) => assert.equal(r.layersRead, 0),
  },
  {
    name: 'a Windows image is not read',
    image: {
      platform: { os: 'windows', architecture: 'amd64' },
      layers: [{ entries: base() }],
      config: { Entrypoint: ['cmd'] },
    },
    codes: ['DEEP_CHECK_UNSUPPORTED'],
    real: false,
    check: (r) => {
      assert.equal(r.fits, true);
      assert.equal(r.layersRead, 0);
    },
  },
];

describe('deep check: made-up images, predicted and then run for real', () => {
  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const c = await craftImage(s.image);
      const r = await analyzeEntrypoint(c.store, { manifest: c.manifest }, s.platform);
      assert.deepEqual(codes(r), [...s.codes].sort(), JSON.stringify(r.findings, null, 1));
      if (s.path) assert.equal(r.path, s.path);
      if (s.chain) assert.deepEqual(r.chain, s.chain);
      if (s.layer !== undefined) assert.equal(r.layer, c.layers[s.layer]!.digest);
      s.check?.(r, c);
      if (s.real === false || REAL_SKIP) return;
      const real = await realCrafted(c, s.image);
      assert.equal(real.outcome, s.real, JSON.stringify(real));
      assert.equal(predictedOutcome(r), s.real);
    });
  }

  test('env without its program: the kernel runs env, and env fails as predicted', { skip: REAL_SKIP }, async () => {
    const s = SCENARIOS.find((x) => x.name.startsWith('#!/usr/bin/env python3 without'))!;
    const c = await craftImage(s.image);
    const real = await realCrafted(c, s.image);
    assert.equal(real.outcome, 'fits');
    assert.equal(real.code, 127);
    assert.match(real.stderr, /python3/);
  });

  test('a dynamic program with its loader (behind a symlink) and libc: fits, for real', {
    skip: REAL_SKIP,
  }, async () => {
    const program = readFileSync('/usr/bin/true');
    const loader = readElfFacts(program)?.interpreter;
    assert.ok(loader);
    const loaderReal = realpathSync(loader);
    const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'].find(existsSync);
    assert.ok(libc);
    const libcReal = realpathSync(libc);
    const parents = (p: string) => {
      const parts = p.split('/').filter(Boolean);
      return parts.slice(0, -1).map((_, i) => dir(parts.slice(0, i + 1).join('/')));
    };
    const entries = [
      ...parents(loaderReal),
      exe(loaderReal.slice(1), readFileSync(loaderReal)),
      ...parents(libcReal),
      file(libcReal.slice(1), readFileSync(libcReal), 0o755),
      ...parents(loader),
      symlink(loader.slice(1), loaderReal),
      symlink('lib', 'usr/lib'),
      dir('usr/bin'),
      exe('usr/bin/true', program),
    ];
    // Duplicate directory entries are harmless; keep the first of each.
    const seen = new Set<string>();
    const unique = entries.filter((e) => (e.type === 'dir' ? !seen.has(e.path) && seen.add(e.path) : true));
    const spec: CraftImage = { layers: [{ entries: unique }], config: { Entrypoint: ['/usr/bin/true'] } };
    const c = await craftImage(spec);
    const r = await analyzeEntrypoint(c.store, { manifest: c.manifest });
    assert.deepEqual(r.findings, []);
    assert.equal(r.elf?.linkage, 'dynamic');
    assert.equal(r.interpreter?.requested, loader);
    assert.equal(r.interpreter?.path, loaderReal);
    assert.match(r.interpreter?.file ?? '', /^ELF 64-bit LSB x86-64, static-pie$/);
    const real = await realCrafted(c, spec);
    assert.equal(real.outcome, 'fits', JSON.stringify(real));
    assert.equal(real.code, 0);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('deep check: inputs', () => {
  test('the manifest as a descriptor, as fetched, or parsed with its config; an index is refused', async () => {
    const c = await craftImage({ layers: [{ entries: base() }], config: { Entrypoint: ['/bin/sh'] } });
    const fetched = await c.store.getManifest(c.manifest.digest);
    const byDescriptor = await analyzeEntrypoint(c.store, { manifest: c.manifest });
    const byFetched = await analyzeEntrypoint(c.store, { manifest: fetched });
    assert.ok(fetched.parsed.kind === 'image');
    const config = JSON.parse(readFileSync(c.store.blobPath(fetched.parsed.manifest.config.digest), 'utf8'));
    const byParsed = await analyzeEntrypoint(c.store, { manifest: fetched.parsed.manifest, config }, 'linux/amd64');
    for (const r of [byDescriptor, byFetched, byParsed]) {
      assert.equal(r.fits, true);
      assert.equal(r.path, '/bin/busybox');
      assert.deepEqual(r.platform, { os: 'linux', architecture: 'amd64' });
    }
    const index = (await loadFixtures()).multiArch;
    const store = new TestLayoutStore(index.dir);
    await rejectsWith(
      analyzeEntrypoint(store, { manifest: await store.getManifest(index.root.digest) }),
      'INVALID_ARGUMENT',
      /image index/,
    );
  });

  test('decompression follows the magic bytes, not the media type', async () => {
    const tar = await makeTar(base());
    const blobs: [string, Buffer][] = [
      ['application/vnd.oci.image.layer.v1.tar', gzipSync(tar)],
      ['application/vnd.oci.image.layer.v1.tar+gzip', zstdWith(tar, ['-3'])],
      ['application/vnd.oci.image.layer.v1.tar+zstd', tar],
      ['application/vnd.docker.image.rootfs.diff.tar.gzip', tar],
    ];
    for (const [mediaType, blob] of blobs) {
      const c = await craftImage({
        layers: [{ blob, mediaType, diffId: sha256Digest(tar) }],
        config: { Entrypoint: ['/bin/sh'] },
      });
      const r = await analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { stopEarly: false });
      assert.equal(r.fits, true, mediaType);
    }
  });
});

describe('RootfsReader', () => {
  test('resolve: chains, .. clamped at the root, cwd, no-follow', async () => {
    const c = await craftImage({
      layers: [
        { entries: [...base(), dir('usr'), dir('usr/local'), symlink('usr/local/bin', '../../bin')] },
        { entries: [dir('etc'), file('etc/motd', 'hi')] },
      ],
      config: { Entrypoint: ['/bin/sh'] },
    });
    const reader = new RootfsReader(c.store, c.layers);
    try {
      const a = await reader.resolve('/usr/local/bin/sh');
      assert.ok(a.ok);
      assert.equal(a.node.path, '/bin/busybox');
      assert.deepEqual(a.chain, ['/usr/local/bin/sh', '/bin/sh', '/bin/busybox']);
      const b = await reader.resolve('../../../../bin/sh', { cwd: '/usr' });
      assert.ok(b.ok && b.node.path === '/bin/busybox');
      const d = await reader.resolve('/bin/sh', { follow: false });
      assert.ok(d.ok && d.node.type === 'symlink' && d.node.linkname === 'busybox');
      const e = await reader.resolve('/etc/motd');
      assert.ok(e.ok && e.node.type === 'file' && e.node.layer?.digest === c.layers[1]!.digest);
      const root = await reader.resolve('/bin/..');
      assert.ok(root.ok && root.node.path === '/' && root.node.type === 'dir');
      const missing = await reader.resolve('/etc/nothere');
      assert.ok(!missing.ok && missing.errno === 'ENOENT' && missing.at === '/etc/nothere');
      if (!a.ok) assert.fail('resolved above');
      const head = await reader.head(a.node);
      assert.equal(readElfFacts(Buffer.from(head))?.machine, 62);
      assert.ok(head.length <= 4096);
    } finally {
      reader.close();
    }
  });

  test('after close(), reads fail with ABORTED instead of reopening layers', async () => {
    const c = await craftImage({ layers: [{ entries: base() }], config: { Entrypoint: ['/bin/sh'] } });
    const reader = new RootfsReader(c.store, c.layers);
    assert.ok((await reader.resolve('/bin')).ok);
    reader.close();
    await rejectsWith(reader.resolve('/bin/sh'), 'ABORTED');
  });

  test('a head not kept on the first pass is read again from its layer', async () => {
    const content = randomBytes(10_000);
    const c = await craftImage({
      layers: [{ entries: [dir('data'), file('data/blob', content, 0o644), ...base()] }],
    });
    const reader = new RootfsReader(c.store, c.layers);
    try {
      // Reading to /bin/busybox passes /data/blob, which is neither executable nor asked for yet.
      assert.ok((await reader.resolve('/bin/busybox')).ok);
      const before = c.store.stats.opened.get(c.layers[0]!.digest);
      const r = await reader.resolve('/data/blob');
      if (!r.ok) assert.fail(r.message);
      const head = await reader.head(r.node);
      assert.equal(c.store.stats.opened.get(c.layers[0]!.digest), (before ?? 0) + 1);
      assert.deepEqual(Buffer.from(head), content.subarray(0, 64));
    } finally {
      reader.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** Samples RSS while `fn` runs; returns its result, the peak growth and the time taken. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; rssGrowth: number; ms: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const t0 = performance.now();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, rssGrowth: peak - start, ms: performance.now() - t0 };
  } finally {
    clearInterval(timer);
  }
}

const MiB = 1024 * 1024;

describe('hostile layers: a finding or a coded error, in bounded time and memory', () => {
  test('gzip bomb (1 GiB of zeros in ~1 MiB): scanned to the entrypoint behind it with flat memory', async () => {
    const tail = await makeTar(base());
    const bomb = gzipBomb('big', 1024, tail);
    assert.ok(bomb.blob.length - gzipSync(tail).length < 1.1 * MiB, `${bomb.blob.length}`);
    const c = await craftImage({
      layers: [{ blob: bomb.blob, diffId: bomb.diffId }],
      config: { Entrypoint: ['/bin/sh'] },
    });
    const m = await measured(() => analyzeEntrypoint(c.store, { manifest: c.manifest }));
    assert.deepEqual(m.value.findings, []);
    assert.equal(m.value.path, '/bin/busybox');
    assert.ok(m.rssGrowth < 100 * MiB, `RSS grew by ${(m.rssGrowth / MiB).toFixed(1)} MiB`);
    assert.ok(m.ms < 30_000, `${m.ms} ms`);
    process.stdout.write(
      `# gzip bomb: 1 GiB scanned in ${m.ms.toFixed(0)} ms, RSS +${(m.rssGrowth / MiB).toFixed(1)} MiB\n`,
    );
  });

  test('gzip bomb with a decompressed-bytes cap: SIZE_LIMIT, fast', async () => {
    const bomb = gzipBomb('big', 1024, await makeTar(base()));
    const c = await craftImage({
      layers: [{ blob: bomb.blob, diffId: bomb.diffId }],
      config: { Entrypoint: ['/bin/sh'] },
    });
    const t0 = performance.now();
    await rejectsWith(
      analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { limits: { maxLayerBytes: 64 * MiB } }),
      'SIZE_LIMIT',
      /decompresses to more than 67108864 bytes/,
    );
    assert.ok(performance.now() - t0 < 10_000);
  });

  test('abort while reading a bomb: ABORTED', async () => {
    const bomb = gzipBomb('big', 1024, await makeTar(base()));
    const c = await craftImage({
      layers: [{ blob: bomb.blob, diffId: bomb.diffId }],
      config: { Entrypoint: ['/bin/sh'] },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    await rejectsWith(
      analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { signal: controller.signal }),
      'ABORTED',
    );
    assert.ok(performance.now() - t0 < 5_000);
  });

  const BROKEN: [string, () => Promise<Buffer>, ErrorCode, RegExp][] = [
    [
      'garbage behind a gzip magic',
      async () => Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(4096)]),
      'LAYER_INVALID',
      /gzip data is corrupt/,
    ],
    ['garbage, not compressed', async () => randomBytes(4096), 'LAYER_INVALID', /not a valid tar archive/],
    [
      'a truncated tar',
      async () => gzipSync((await makeTar(base())).subarray(0, 300_000)),
      'LAYER_INVALID',
      /tar archive is truncated/,
    ],
    [
      'a truncated gzip stream',
      async () => gzipSync(await makeTar(base())).subarray(0, 200_000),
      'LAYER_INVALID',
      /gzip/,
    ],
    [
      'an xz layer',
      async () => Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]),
      'LAYER_INVALID',
      /xz-compressed/,
    ],
    ['an empty blob', async () => Buffer.alloc(0), 'LAYER_INVALID', /only 0 bytes long/],
    [
      'a PAX header over 4 MiB',
      async () => Buffer.concat([tarHeader('PaxHeaders/x', 5 * MiB, 0o644, 'x'), Buffer.alloc(5 * MiB + 1024)]),
      'LAYER_INVALID',
      /PAX header is over 4 MiB/,
    ],
    [
      'a tar header with a bad checksum',
      async () => {
        const t = await makeTar(base());
        t[148] = 0x39;
        return t;
      },
      'LAYER_INVALID',
      /not a valid tar archive/,
    ],
  ];
  for (const [name, blob, code, message] of BROKEN) {
    test(name, async () => {
      const c = await craftImage({
        layers: [{ blob: await blob(), compression: 'none' }],
        config: { Entrypoint: ['/bin/sh'] },
      });
      const t0 = performance.now();
      const error = await rejectsWith(analyzeEntrypoint(c.store, { manifest: c.manifest }), code, message);
      assert.equal(error.details['layer'], c.layers[0]!.digest);
      assert.ok(performance.now() - t0 < 10_000);
    });
  }

  test('a layer whose content does not match its DiffID, read to its end: DIGEST_MISMATCH', async () => {
    const c = await craftImage({
      layers: [
        { entries: base() },
        { entries: [dir('data'), file('data/x', 'x')], diffId: `sha256:${'0'.repeat(64)}` },
      ],
      config: { Entrypoint: ['/bin/sh'] },
    });
    await rejectsWith(analyzeEntrypoint(c.store, { manifest: c.manifest }), 'DIGEST_MISMATCH', /DiffID/);
    const r = await analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { verifyDiffIds: false });
    assert.equal(r.fits, true);
  });

  test('a blob changed on disk, read to its end: DIGEST_MISMATCH from the store', async () => {
    const c = await craftImage({
      layers: [{ entries: base() }, { entries: [dir('data'), file('data/x', 'hello')], compression: 'none' }],
      config: { Entrypoint: ['/bin/sh'] },
    });
    const path = c.store.blobPath(c.layers[1]!.digest);
    const bytes = readFileSync(path);
    bytes[bytes.indexOf('hello')] = 0x4a;
    writeFileSync(path, bytes);
    await rejectsWith(
      analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { verifyDiffIds: false }),
      'DIGEST_MISMATCH',
    );
  });

  test('too many entries: SIZE_LIMIT', async () => {
    const entries = [dir('many'), ...Array.from({ length: 3000 }, (_, i) => file(`many/f${i}`, ''))];
    const c = await craftImage({ layers: [{ entries: base() }, { entries }], config: { Entrypoint: ['/bin/sh'] } });
    await rejectsWith(
      analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { limits: { maxEntries: 1000 } }),
      'SIZE_LIMIT',
      /more than 1000 entries/,
    );
  });

  test('1000 layers, the entrypoint in the bottom one', async () => {
    const layers = [
      { entries: base() },
      ...Array.from({ length: 999 }, (_, i) => ({ entries: [dir('data'), file(`data/f${i}`, `${i}`)] })),
    ];
    const c = await craftImage({ layers, config: { Entrypoint: ['/bin/sh'] } });
    const m = await measured(() => analyzeEntrypoint(c.store, { manifest: c.manifest }));
    assert.equal(m.value.fits, true);
    assert.equal(m.value.layersRead, 1000);
    assert.equal(m.value.layer, c.layers[0]!.digest);
    assert.ok(m.ms < 30_000, `${m.ms} ms`);
    assert.ok(m.rssGrowth < 100 * MiB, `RSS grew by ${(m.rssGrowth / MiB).toFixed(1)} MiB`);
    process.stdout.write(`# 1000 layers: ${m.ms.toFixed(0)} ms, RSS +${(m.rssGrowth / MiB).toFixed(1)} MiB\n`);
  });
});

describe('early stop', () => {
  test('entrypoint in the top layer of three: one layer read, a fraction of the bytes', async () => {
    const big = (n: number) => [dir('data'), file(`data/random-${n}`, randomBytes(24 * MiB))];
    const c = await craftImage({
      layers: [{ entries: big(1) }, { entries: big(2) }, { entries: base() }],
      config: { Entrypoint: ['/bin/busybox'], Cmd: ['true'] },
    });
    const total = c.layers.reduce((n, l) => n + l.size, 0);
    const r = await analyzeEntrypoint(c.store, { manifest: c.manifest });
    assert.equal(r.fits, true);
    assert.equal(r.layersRead, 1);
    assert.equal(r.layer, c.layers[2]!.digest);
    const opened = [...c.store.stats.opened.keys()].filter((d) => c.layers.some((l) => l.digest === d));
    assert.deepEqual(opened, [c.layers[2]!.digest]);
    assert.ok(r.bytesRead <= c.layers[2]!.size, `${r.bytesRead} of ${c.layers[2]!.size}`);
    assert.ok(r.bytesRead < total / 20, `${r.bytesRead} of ${total}`);
    // The store saw no more than it says (plus read-ahead of the file stream).
    assert.ok(c.store.bytesRead(c.layers.map((l) => l.digest)) <= r.bytesRead + 256 * 1024);
    process.stdout.write(`# early stop: ${r.bytesRead} of ${total} bytes read, ${r.layersRead} of 3 layers\n`);
  });

  test('stopEarly: false reads the opened layer to its end', async () => {
    const c = await craftImage({
      layers: [
        { entries: [dir('data'), file('data/x', randomBytes(4 * MiB))] },
        { entries: [...base(), dir('more'), file('more/y', randomBytes(2 * MiB))] },
      ],
      config: { Entrypoint: ['/bin/busybox'] },
    });
    const early = await analyzeEntrypoint(c.store, { manifest: c.manifest });
    const full = await analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { stopEarly: false });
    assert.equal(early.layersRead, 1);
    assert.equal(full.layersRead, 1);
    assert.ok(full.bytesRead >= c.layers[1]!.size);
    assert.ok(early.bytesRead < full.bytesRead);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('zstd', () => {
  const decoders: ZstdDecoder[] = ['auto', 'fzstd', ...(nodeHasZstd() ? (['node'] as const) : [])];

  async function zstdImage(blob: Buffer, tar: Buffer) {
    return craftImage({
      layers: [{ blob, diffId: sha256Digest(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }],
      config: { Entrypoint: ['/bin/sh'] },
    });
  }

  for (const zstd of decoders) {
    test(`skippable frames before and between data frames, several frames (${zstd})`, async () => {
      const tar = await makeTar(base());
      const half = 512 * 1024;
      const blob = Buffer.concat([
        skippableFrame(Buffer.from('zstd:chunked manifest goes here')),
        zstdWith(tar.subarray(0, half), ['-3']),
        skippableFrame(Buffer.alloc(100_000, 7), 5),
        zstdWith(tar.subarray(half), ['-19']),
        skippableFrame(Buffer.alloc(0), 15),
      ]);
      const c = await zstdImage(blob, tar);
      // Read to the end too, so the DiffID check sees every byte the decoder produced.
      const r = await analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { zstd, stopEarly: false });
      assert.deepEqual(r.findings, []);
      assert.equal(r.path, '/bin/busybox');
    });
  }

  test('a window over 32 MiB is refused for fzstd (and decoded by node:zlib where it exists)', async () => {
    const tar = await makeTar(base());
    const blob = zstdWith(tar, ['--long=27', '-3']);
    const c = await zstdImage(blob, tar);
    await rejectsWith(
      analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { zstd: 'fzstd' }),
      'LAYER_INVALID',
      /128 MiB window, over the 32 MiB that fzstd/,
    );
    if (nodeHasZstd()) {
      const r = await analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { zstd: 'node' });
      assert.equal(r.fits, true);
    }
  });

  test('a single-segment frame claiming 1 TiB of content is refused before any allocation', async () => {
    const frame = Buffer.alloc(4 + 1 + 8 + 3 + 1);
    frame.writeUInt32LE(0xfd2fb528, 0);
    frame[4] = 0b1110_0000; // FCS field 8 bytes, single segment
    frame.writeBigUInt64LE(2n ** 40n, 5);
    frame.writeUIntLE((1 << 0) | (1 << 1) | (1 << 3), 13, 3); // last RLE block of 1 byte
    const c = await craftImage({ layers: [{ blob: frame, compression: 'none' }], config: { Entrypoint: ['/bin/sh'] } });
    await rejectsWith(
      analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { zstd: 'fzstd' }),
      'LAYER_INVALID',
      /window/,
    );
  });

  for (const zstd of decoders) {
    test(`a frame that needs a dictionary, trailing garbage, truncation: LAYER_INVALID (${zstd})`, async () => {
      const tar = await makeTar(base());
      const good = zstdWith(tar, ['-3']);
      const dict = Buffer.from(good);
      dict[4] = (dict[4]! & ~3) | 1; // Dictionary_ID of 1 byte
      const blobs = [
        [dict, /zstd/],
        [Buffer.concat([good, Buffer.from('garbage!')]), /not a zstd frame/],
        [good.subarray(0, good.length - 10), /truncated/],
      ] as const;
      for (const [blob, message] of blobs) {
        const c = await zstdImage(blob, tar);
        await rejectsWith(
          analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, { zstd, stopEarly: false }),
          'LAYER_INVALID',
          message,
        );
      }
    });

    test(`corrupt zstd payload never passes as good data: a decoder error or a DiffID mismatch (${zstd})`, async () => {
      const tar = await makeTar(base());
      const good = zstdWith(tar, ['-3']);
      for (const at of [100, 5000, Math.floor(good.length / 2), good.length - 100]) {
        const bad = Buffer.from(good);
        bad[at] = bad[at]! ^ 0xff;
        const c = await zstdImage(bad, tar);
        try {
          const r = await analyzeEntrypoint(c.store, { manifest: c.manifest }, undefined, {
            zstd: 'fzstd',
            stopEarly: false,
          });
          assert.fail(`corruption at ${at} went unnoticed: ${JSON.stringify(r.findings)}`);
        } catch (error) {
          assert.ok(isArchfitError(error), String(error));
          assert.ok(['LAYER_INVALID', 'DIGEST_MISMATCH'].includes(error.code), error.message);
        }
      }
    });
  }

  test('the frame walker gives the same bytes whatever the chunking, minus skippable frames', async () => {
    const data = randomBytes(300_000);
    const a = zstdWith(data, ['-1']);
    const b = zstdWith(data.subarray(0, 1000), ['-1']);
    const input = Buffer.concat([skippableFrame(Buffer.from('x')), a, skippableFrame(Buffer.alloc(3000)), b]);
    for (const size of [1, 7, 4096, input.length]) {
      const walker = new ZstdFrameWalker();
      const out: Buffer[] = [];
      walker.on('data', (chunk: Buffer) => out.push(chunk));
      const done = new Promise((resolve, reject) => {
        walker.on('end', resolve);
        walker.on('error', reject);
      });
      const source = new PassThrough();
      source.pipe(walker);
      for (let i = 0; i < input.length; i += size) source.write(input.subarray(i, i + size));
      source.end();
      await done;
      assert.deepEqual(Buffer.concat(out), Buffer.concat([a, b]), `chunks of ${size}`);
      assert.equal(walker.frames, 2);
    }
  });
});
