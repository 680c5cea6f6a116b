// Platform parsing, normalisation, formatting and matching. The behaviour is containerd's (its platforms package);
// the tables below are ours, written as data: what a specifier means, and which images run on which host.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ArchfitError, isArchfitError } from '../src/errors.js';
import {
  bestMatch,
  formatPlatform,
  fromSpecPlatform,
  isKnownArchitecture,
  isKnownOS,
  isUnknownPlatform,
  MATCH_MODES,
  type MatchMode,
  normalizePlatform,
  type Platform,
  parsePlatform,
  parseWindowsVersion,
  platformFromNode,
  platformMatcher,
  platformsEqual,
  sortPlatforms,
  toSpecPlatform,
  windowsBuildsCompatible,
} from '../src/platform/index.js';

const ARM_V6_HOST: Platform = { os: 'linux', architecture: 'arm', variant: 'v6' };

// ---------------------------------------------------------------------------------------------------------------
// parse

/** [specifier, what it means, the host that completes a single component (default linux/amd64)] */
const PARSES: [string, Platform, Platform?][] = [
  ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
  ['Linux/x86_64', { os: 'linux', architecture: 'amd64' }],
  ['linux/x86-64', { os: 'linux', architecture: 'amd64' }],
  ['linux/amd64/v1', { os: 'linux', architecture: 'amd64' }],
  ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
  ['LINUX/AMD64/V2', { os: 'linux', architecture: 'amd64', variant: 'v2' }],
  ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
  ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
  ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ['linux/aarch64/8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ['linux/arm64/v8.0', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ['linux/arm64/v9.0', { os: 'linux', architecture: 'arm64', variant: 'v9' }],
  ['linux/arm64/v9.2', { os: 'linux', architecture: 'arm64', variant: 'v9.2' }],
  ['linux/arm', { os: 'linux', architecture: 'arm' }],
  ['linux/armhf', { os: 'linux', architecture: 'arm' }],
  ['linux/arm/7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
  ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
  ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
  ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
  ['linux/armhf/v6', { os: 'linux', architecture: 'arm', variant: 'v7' }],
  ['linux/i386', { os: 'linux', architecture: '386' }],
  ['linux/i686', { os: 'linux', architecture: '386' }],
  ['linux/386', { os: 'linux', architecture: '386' }],
  ['linux/ppc64le', { os: 'linux', architecture: 'ppc64le' }],
  ['linux/riscv64/rva23u64', { os: 'linux', architecture: 'riscv64', variant: 'rva23u64' }],
  ['linux/s390x', { os: 'linux', architecture: 's390x' }],
  // Two components: the architecture is taken as written, known or not.
  ['linux/madeup', { os: 'linux', architecture: 'madeup' }],
  ['macos/arm64', { os: 'darwin', architecture: 'arm64' }],
  ['freebsd/amd64', { os: 'freebsd', architecture: 'amd64' }],
  ['unknown/unknown', { os: 'unknown', architecture: 'unknown' }],
  ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
  ['windows(10.0.20348)/amd64', { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' }],
  ['windows()/amd64', { os: 'windows', architecture: 'amd64' }],
  [
    'windows(10.0.17763+win32k)/amd64',
    { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763', osFeatures: ['win32k'] },
  ],
  ['windows(10.0.17763%2Bbuild.42)/amd64', { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763+build.42' }],
  ['windows(50%25done)/arm64', { os: 'windows', architecture: 'arm64', osVersion: '50%done' }],
  ['linux(+gpu)/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8', osFeatures: ['gpu'] }],
  ['linux(+simd+erofs+simd)/amd64', { os: 'linux', architecture: 'amd64', osFeatures: ['erofs', 'simd'] }],
  ['linux(+feat%2Bv2)/amd64', { os: 'linux', architecture: 'amd64', osFeatures: ['feat+v2'] }],
  // A single known architecture takes the host's OS.
  ['aarch64', { os: 'linux', architecture: 'arm64' }],
  ['AARCH64', { os: 'linux', architecture: 'arm64' }],
  ['x86_64', { os: 'linux', architecture: 'amd64' }],
  ['amd64', { os: 'linux', architecture: 'amd64' }],
  ['arm', { os: 'linux', architecture: 'arm' }],
  ['armhf', { os: 'linux', architecture: 'arm' }],
  ['armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
  ['i686', { os: 'linux', architecture: '386' }],
  ['s390x', { os: 'linux', architecture: 's390x' }],
  ['arm64', { os: 'windows', architecture: 'arm64' }, { os: 'windows', architecture: 'amd64' }],
  ['riscv64', { os: 'darwin', architecture: 'riscv64' }, { os: 'macOS', architecture: 'arm64' }],
  // A single known OS takes the host's architecture, and on arm its variant (v7 stays implicit).
  ['linux', { os: 'linux', architecture: 'amd64' }],
  ['Linux', { os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'aarch64' }],
  ['linux', { os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ['linux', { os: 'linux', architecture: 'arm', variant: 'v6' }, ARM_V6_HOST],
  ['linux', { os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
  ['linux', { os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'armhf' }],
  ['linux', { os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64', variant: 'v3' }],
  ['macOS', { os: 'darwin', architecture: 'amd64' }],
  ['windows', { os: 'windows', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64' }],
  ['windows(10.0.20348)', { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' }],
  ['linux(+gpu)', { os: 'linux', architecture: 'amd64', osFeatures: ['gpu'] }],
];

describe('parsePlatform: valid specifiers', () => {
  for (const [spec, expected, host] of PARSES) {
    test(`${JSON.stringify(spec)}${host ? ` on ${formatPlatform(host)}` : ''} → ${formatPlatform(expected)}`, () => {
      assert.deepEqual(parsePlatform(spec, host), expected);
    });
  }
});

/** [specifier, the end of the message after `invalid platform "<spec>": `] */
const INVALID: [string, string | RegExp][] = [
  ['', 'empty'],
  ['/linux/arm', 'empty OS component'],
  ['linux/arm/', 'empty component'],
  ['linux//arm', 'empty component'],
  ['linux /arm', /is not an OS component/],
  ['linux/&arm', /"&arm" may only contain/],
  ['linux/amd64/v2 ', /may only contain/],
  ['linux/foo/bar/baz', 'too many components'],
  ['linux/arm/v7/x/y', 'too many components'],
  ['*', 'wildcards are not supported'],
  ['linux/*', 'wildcards are not supported'],
  ['foo', 'unknown operating system or architecture'],
  ['amd64(1.0)', 'unknown operating system or architecture'],
  ['linux(+)/amd64', /is not an OS component/],
  ['linux(1.0/amd64', /is not an OS component/],
  ['linux(1 0)/amd64', /is not an OS component/],
  ['windows(%zz)/amd64', 'OS version "%zz" has a bad percent-encoding'],
  ['windows(10.0+%E0%A4%A)/amd64', 'OS feature "%E0%A4%A" has a bad percent-encoding'],
  ['linux\n/amd64', /is not an OS component/],
];

describe('parsePlatform: invalid specifiers throw INVALID_PLATFORM quoting the input', () => {
  for (const [spec, reason] of INVALID) {
    test(JSON.stringify(spec), () => {
      assert.throws(
        () => parsePlatform(spec),
        (error: unknown) => {
          assert.ok(isArchfitError(error, 'INVALID_PLATFORM'), `not an INVALID_PLATFORM ArchfitError: ${error}`);
          const prefix = `invalid platform ${JSON.stringify(spec)}: `;
          assert.ok(error.message.startsWith(prefix), error.message);
          const rest = error.message.slice(prefix.length);
          if (typeof reason === 'string') assert.equal(rest, reason);
          else assert.match(rest, reason);
          assert.equal(error.details['input'], spec);
          return true;
        },
      );
    });
  }

  test('the exact message for too many components', () => {
    assert.throws(() => parsePlatform('linux/foo/bar/baz'), {
      name: 'ArchfitError',
      code: 'INVALID_PLATFORM',
      message: 'invalid platform "linux/foo/bar/baz": too many components',
    });
  });

  test('a value that is not a string', () => {
    assert.throws(() => parsePlatform(42 as unknown as string), { code: 'INVALID_PLATFORM' });
    assert.throws(() => parsePlatform(undefined as unknown as string), { code: 'INVALID_PLATFORM' });
  });

  test('a bad percent-encoding keeps the decoder error as the cause', () => {
    try {
      parsePlatform('linux(%zz)/amd64');
      assert.fail('no error');
    } catch (error) {
      assert.ok(error instanceof ArchfitError);
      assert.ok(error.cause instanceof URIError);
    }
  });

  test('a huge input is cut short in the message', () => {
    const spec = `linux/${'x'.repeat(10_000)}/v1/extra`;
    assert.throws(
      () => parsePlatform(spec),
      (error: unknown) => isArchfitError(error, 'INVALID_PLATFORM') && error.message.length < 300,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// normalise

const NORMALISES: [Platform, Platform][] = [
  [
    { os: 'linux', architecture: 'x86_64' },
    { os: 'linux', architecture: 'amd64' },
  ],
  [
    { os: 'Linux', architecture: 'AMD64', variant: 'V1' },
    { os: 'linux', architecture: 'amd64' },
  ],
  [
    { os: 'linux', architecture: 'amd64', variant: 'v2' },
    { os: 'linux', architecture: 'amd64', variant: 'v2' },
  ],
  [
    { os: 'linux', architecture: 'aarch64', variant: 'v8' },
    { os: 'linux', architecture: 'arm64' },
  ],
  [
    { os: 'linux', architecture: 'arm64', variant: '8' },
    { os: 'linux', architecture: 'arm64' },
  ],
  [
    { os: 'linux', architecture: 'arm64', variant: 'v8.0' },
    { os: 'linux', architecture: 'arm64' },
  ],
  [
    { os: 'linux', architecture: 'arm64', variant: '9' },
    { os: 'linux', architecture: 'arm64', variant: 'v9' },
  ],
  [
    { os: 'linux', architecture: 'arm64', variant: 'v8.2' },
    { os: 'linux', architecture: 'arm64', variant: 'v8.2' },
  ],
  [
    { os: 'linux', architecture: 'arm' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
  ],
  [
    { os: 'linux', architecture: 'arm', variant: '6' },
    { os: 'linux', architecture: 'arm', variant: 'v6' },
  ],
  [
    { os: 'linux', architecture: 'armhf' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
  ],
  [
    { os: 'linux', architecture: 'armel', variant: 'v7' },
    { os: 'linux', architecture: 'arm', variant: 'v6' },
  ],
  [
    { os: 'linux', architecture: 'i386', variant: 'foo' },
    { os: 'linux', architecture: '386' },
  ],
  [
    { os: 'linux', architecture: 'i686' },
    { os: 'linux', architecture: '386' },
  ],
  [
    { os: 'macos', architecture: 'arm64' },
    { os: 'darwin', architecture: 'arm64' },
  ],
  [
    { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.1', osFeatures: ['win32k', 'b', 'win32k', ''] },
    { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.1', osFeatures: ['b', 'win32k'] },
  ],
  [
    { os: 'linux', architecture: 'amd64', variant: '', osVersion: '', osFeatures: [] },
    { os: 'linux', architecture: 'amd64' },
  ],
  [
    { os: 'unknown', architecture: 'unknown' },
    { os: 'unknown', architecture: 'unknown' },
  ],
  [
    { os: '', architecture: '' },
    { os: '', architecture: '' },
  ],
  [
    // Untrusted JSON: fields of the wrong type count as empty.
    { os: 7, architecture: null, variant: ['v7'], osFeatures: 'gpu' } as unknown as Platform,
    { os: '', architecture: '' },
  ],
];

describe('normalizePlatform', () => {
  for (const [input, expected] of NORMALISES) {
    test(`${JSON.stringify(input)} → ${formatPlatform(expected)}`, () => {
      assert.deepEqual(normalizePlatform(input), expected);
    });
  }

  test('does not change its argument', () => {
    const input: Platform = { os: 'Linux', architecture: 'aarch64', variant: 'v8', osFeatures: ['b', 'a'] };
    const copy = structuredClone(input);
    normalizePlatform(input);
    assert.deepEqual(input, copy);
  });
});

describe('known names', () => {
  test('OS and architecture lists answer for the canonical names and their aliases', () => {
    assert.deepEqual(['linux', 'Windows', 'macos', 'plan9', 'unknown', 'amd64'].map(isKnownOS), [
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    assert.deepEqual(
      ['amd64', 'x86_64', 'aarch64', 'armhf', 'i686', 'loong64', 'unknown', 'linux'].map(isKnownArchitecture),
      [true, true, true, true, true, true, false, false],
    );
  });
});

describe('platformsEqual and isUnknownPlatform', () => {
  const EQUAL: [string, string, boolean][] = [
    ['linux/aarch64', 'linux/arm64/v8', true],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/armhf', 'linux/arm/v7', true],
    ['macos/arm64', 'darwin/arm64', true],
    ['linux(+b+a)/amd64', 'linux(+a+b)/amd64', true],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/amd64', 'linux/386', false],
    ['linux/amd64', 'windows/amd64', false],
    ['windows(10.0.20348)/amd64', 'windows/amd64', false],
    ['linux(+gpu)/amd64', 'linux/amd64', false],
  ];
  for (const [a, b, equal] of EQUAL) {
    test(`${a} ${equal ? '==' : '!='} ${b}`, () => {
      assert.equal(platformsEqual(parsePlatform(a), parsePlatform(b)), equal);
      assert.equal(platformsEqual(parsePlatform(b), parsePlatform(a)), equal);
    });
  }

  test('unknown/unknown is the attestation placeholder', () => {
    assert.equal(isUnknownPlatform({ os: 'unknown', architecture: 'unknown' }), true);
    assert.equal(isUnknownPlatform({ os: 'UNKNOWN', architecture: 'Unknown' }), true);
    assert.equal(isUnknownPlatform({ os: 'unknown', architecture: 'amd64' }), false);
    assert.equal(isUnknownPlatform({ os: 'linux', architecture: 'unknown' }), false);
    assert.equal(isUnknownPlatform({ os: 'linux', architecture: 'amd64' }), false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// format

const FORMATS: [Platform, string, { osOptions?: boolean }?][] = [
  [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64/v8'],
  [{ os: 'linux', architecture: 'arm64' }, 'linux/arm64'],
  [{ os: 'linux', architecture: 'arm', variant: 'v7' }, 'linux/arm/v7'],
  [{ os: 'linux', architecture: 'arm' }, 'linux/arm'],
  [{ os: 'windows', architecture: 'amd64' }, 'windows/amd64'],
  [{ os: 'unknown', architecture: 'unknown' }, 'unknown/unknown'],
  // It formats what it is given: no normalisation.
  [{ os: 'Linux', architecture: 'x86_64', variant: 'v1' }, 'Linux/x86_64/v1'],
  [{ os: '', architecture: 'amd64' }, 'unknown'],
  [{ os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' }, 'windows(10.0.20348)/amd64'],
  [{ os: 'windows', architecture: 'amd64', osVersion: '10.0.20348' }, 'windows/amd64', { osOptions: false }],
  [
    { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763', osFeatures: ['win32k'] },
    'windows(10.0.17763+win32k)/amd64',
  ],
  [{ os: 'linux', architecture: 'amd64', osFeatures: ['simd', 'gpu', 'simd', ''] }, 'linux(+gpu+simd)/amd64'],
  [{ os: 'linux', architecture: 'amd64', osFeatures: ['gpu'] }, 'linux/amd64', { osOptions: false }],
  [{ os: 'windows', architecture: 'amd64', osVersion: '10.0.17763+build.42' }, 'windows(10.0.17763%2Bbuild.42)/amd64'],
  [{ os: 'windows', architecture: 'amd64', osVersion: '50%done' }, 'windows(50%25done)/amd64'],
  [{ os: 'windows', architecture: 'amd64', osVersion: '1.0(beta)' }, 'windows(1.0%28beta%29)/amd64'],
  [{ os: 'windows', architecture: 'amd64', osVersion: 'a/b c' }, 'windows(a%2Fb%20c)/amd64'],
  [{ os: 'linux', architecture: 'amd64', osVersion: 'é' }, 'linux(%C3%A9)/amd64'],
  [{ os: 'linux', architecture: 'amd64', osFeatures: ['feat+v2', '100%gpu'] }, 'linux(+100%25gpu+feat%2Bv2)/amd64'],
];

describe('formatPlatform', () => {
  for (const [platform, expected, options] of FORMATS) {
    test(`${JSON.stringify(platform)}${options ? ` ${JSON.stringify(options)}` : ''} → ${expected}`, () => {
      assert.equal(formatPlatform(platform, options), expected);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// round trips

/** Specifiers already in the form formatPlatform gives back for them. */
const CANONICAL = [
  'linux/amd64',
  'linux/amd64/v3',
  'linux/arm64',
  'linux/arm64/v8',
  'linux/arm64/v9.2',
  'linux/arm',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le/power10',
  'windows/amd64',
  'windows(10.0.20348)/amd64',
  'windows(10.0.17763.5458+win32k)/arm64',
  'linux(+erofs+gpu)/riscv64/rva23u64',
  'windows(50%25done+a%2Bb)/amd64',
  'unknown/unknown',
];

describe('round trips', () => {
  for (const spec of [...CANONICAL, ...PARSES.filter(([, , host]) => host === undefined).map(([spec]) => spec)]) {
    test(`parse(format(parse(${JSON.stringify(spec)}))) is parse(${JSON.stringify(spec)})`, () => {
      const once = parsePlatform(spec);
      assert.deepEqual(parsePlatform(formatPlatform(once)), once);
    });
  }
  for (const spec of CANONICAL) {
    test(`format(parse(${JSON.stringify(spec)})) gives it back`, () => {
      assert.equal(formatPlatform(parsePlatform(spec)), spec);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// matching

interface MatchCase {
  host: string;
  runs: string[];
  doesNotRun: string[];
}

const MATCHES: Record<MatchMode, MatchCase[]> = {
  compatible: [
    {
      host: 'linux/amd64',
      runs: ['linux/amd64', 'linux/x86_64', 'linux/amd64/v1', 'linux/386', 'linux/i686'],
      doesNotRun: ['linux/amd64/v2', 'linux/arm64', 'linux/arm/v7', 'windows/amd64', 'darwin/amd64', 'unknown/unknown'],
    },
    {
      host: 'linux/amd64/v3',
      runs: ['linux/amd64', 'linux/amd64/v1', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/386'],
      doesNotRun: ['linux/amd64/v4', 'linux/arm64', 'linux/amd64/x3'],
    },
    {
      host: 'linux/amd64/v4',
      runs: ['linux/amd64/v4', 'linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386'],
      doesNotRun: ['linux/amd64/v5', 'linux/arm/v7'],
    },
    { host: 'linux/386', runs: ['linux/386', 'linux/i386'], doesNotRun: ['linux/amd64', 'linux/arm/v5'] },
    {
      host: 'linux/arm/v8',
      runs: ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'],
      doesNotRun: ['linux/arm/v4', 'linux/arm64', 'linux/amd64', 'windows/arm'],
    },
    {
      host: 'linux/arm/v7',
      runs: ['linux/arm', 'linux/armhf', 'linux/arm/v7', 'linux/arm/v6', 'linux/armel', 'linux/arm/v5'],
      doesNotRun: ['linux/arm/v8', 'linux/arm/v4', 'linux/arm64', 'linux/amd64', 'windows/arm'],
    },
    {
      host: 'linux/arm/v6',
      runs: ['linux/arm/v6', 'linux/armel', 'linux/arm/v5'],
      doesNotRun: ['linux/arm/v7', 'linux/arm', 'linux/armhf', 'linux/arm/v8', 'linux/arm64'],
    },
    { host: 'linux/arm/v5', runs: ['linux/arm/v5'], doesNotRun: ['linux/arm/v6', 'linux/arm', 'linux/arm/v4'] },
    { host: 'linux/arm/v4', runs: ['linux/arm/v4'], doesNotRun: ['linux/arm/v5', 'linux/arm'] },
    {
      host: 'linux/arm64',
      runs: [
        'linux/arm64',
        'linux/arm64/v8',
        'linux/aarch64',
        'linux/arm',
        'linux/arm/v8',
        'linux/arm/v7',
        'linux/arm/v6',
        'linux/arm/v5',
      ],
      doesNotRun: ['linux/arm64/v8.1', 'linux/arm64/v9', 'linux/arm/v9', 'linux/arm/v4', 'linux/amd64', 'linux/386'],
    },
    {
      host: 'linux/arm64/v8.2',
      runs: ['linux/arm64', 'linux/arm64/v8.1', 'linux/arm64/v8.2', 'linux/arm/v7'],
      doesNotRun: ['linux/arm64/v8.3', 'linux/arm64/v9'],
    },
    {
      host: 'linux/arm64/v9',
      runs: ['linux/arm64/v9', 'linux/arm64/v9.0', 'linux/arm64/v8.5', 'linux/arm64', 'linux/arm/v8'],
      doesNotRun: ['linux/arm64/v8.6', 'linux/arm64/v9.1', 'linux/arm/v9'],
    },
    {
      host: 'linux/arm64/v9.6',
      runs: [
        'linux/arm64/v9.6',
        'linux/arm64/v9.5',
        'linux/arm64/v9',
        'linux/arm64/v8.9',
        'linux/arm64/v8',
        'linux/arm',
      ],
      doesNotRun: ['linux/arm64/v9.7', 'linux/arm64/v8.10', 'linux/amd64'],
    },
    {
      host: 'linux/ppc64le/power10',
      runs: ['linux/ppc64le', 'linux/ppc64le/power8', 'linux/ppc64le/power9', 'linux/ppc64le/power10'],
      doesNotRun: ['linux/ppc64le/power11', 'linux/ppc64', 'linux/amd64'],
    },
    {
      host: 'linux/riscv64/rva23u64',
      runs: ['linux/riscv64', 'linux/riscv64/rva20u64', 'linux/riscv64/rva22u64', 'linux/riscv64/rva23u64'],
      doesNotRun: ['linux/riscv64/rva24u64', 'linux/riscv64/rva20s64'],
    },
    { host: 'linux/s390x', runs: ['linux/s390x'], doesNotRun: ['linux/s390x/z15', 'linux/s390'] },
    {
      host: 'windows(10.0.20348)/amd64',
      runs: [
        'windows/amd64',
        'windows(10.0.20348)/amd64',
        'windows(10.0.20348.2700)/amd64',
        'windows(10.0.20348+win32k)/amd64',
        'windows(10.0.20348)/386',
      ],
      doesNotRun: [
        'windows(10.0.17763)/amd64',
        'windows(10.0.26100)/amd64',
        'windows(6.3.20348)/amd64',
        'windows(garbage)/amd64',
        'windows(10.0.20348+gpu)/amd64',
        'linux/amd64',
      ],
    },
    {
      host: 'windows(10.0.26100.2894)/amd64',
      runs: ['windows(10.0.26100.3000)/amd64', 'windows(10.0.22621)/amd64', 'windows(10.0.20348.3091)/amd64'],
      doesNotRun: ['windows(10.0.26200)/amd64', 'windows(10.0.17763)/amd64'],
    },
    {
      host: 'windows(10.0.17763)/amd64',
      runs: ['windows(10.0.17763)/amd64', 'windows(10.0.17763.5458)/amd64', 'windows/amd64'],
      doesNotRun: ['windows(10.0.17762.1)/amd64', 'windows(10.0.17764.1)/amd64', 'windows(10.0.20348)/amd64'],
    },
    {
      host: 'windows/amd64',
      runs: ['windows/amd64', 'windows(10.0.17763)/amd64', 'windows(10.0.26100)/amd64', 'windows(garbage)/amd64'],
      doesNotRun: ['linux/amd64', 'windows/arm64'],
    },
    {
      host: 'linux(+gpu)/amd64',
      runs: ['linux/amd64', 'linux(+gpu)/amd64', 'linux(+gpu)/386'],
      doesNotRun: ['linux(+gpu+simd)/amd64', 'linux(+simd)/amd64'],
    },
    {
      // containerd's darwin default also accepts linux images, but that is its Default(), not Only.
      host: 'darwin/arm64',
      runs: ['darwin/arm64', 'macos/arm64'],
      doesNotRun: ['linux/arm64', 'darwin/amd64'],
    },
  ],
  exact: [
    {
      host: 'linux/amd64',
      runs: ['linux/amd64', 'linux/x86_64', 'linux/amd64/v1', 'Linux/AMD64'],
      doesNotRun: ['linux/386', 'linux/amd64/v2', 'windows/amd64'],
    },
    { host: 'linux/amd64/v2', runs: ['linux/amd64/v2'], doesNotRun: ['linux/amd64', 'linux/amd64/v3'] },
    {
      host: 'linux/arm64',
      runs: ['linux/arm64', 'linux/arm64/v8', 'linux/aarch64'],
      doesNotRun: ['linux/arm/v7', 'linux/arm64/v8.1'],
    },
    { host: 'linux/arm64/v8', runs: ['linux/arm64', 'linux/aarch64/8'], doesNotRun: ['linux/arm64/v9'] },
    {
      host: 'linux/arm/v7',
      runs: ['linux/arm', 'linux/armhf', 'linux/arm/7', 'linux/arm/v7'],
      doesNotRun: ['linux/arm/v6', 'linux/arm/v8'],
    },
    { host: 'linux/arm', runs: ['linux/arm/v7'], doesNotRun: ['linux/arm/v6'] },
    {
      host: 'windows(10.0.20348)/amd64',
      runs: ['windows/amd64', 'windows(10.0.20348.1)/amd64'],
      doesNotRun: ['windows(10.0.17763)/amd64', 'windows/386'],
    },
  ],
  strict: [
    {
      host: 'linux/amd64',
      runs: ['linux/amd64'],
      doesNotRun: ['linux/386', 'linux/arm/v7', 'linux/arm64', 'windows/amd64'],
    },
    {
      host: 'linux/arm/v7',
      runs: ['linux/arm', 'linux/arm/v7'],
      doesNotRun: ['linux/arm/v5', 'linux/arm/v6', 'linux/arm/v8'],
    },
    { host: 'linux/arm/v8', runs: ['linux/arm/v8'], doesNotRun: ['linux/arm', 'linux/arm/v7'] },
    {
      host: 'linux/arm64/v9.5',
      runs: ['linux/arm64/v9.5'],
      doesNotRun: ['linux/arm64/v9.4', 'linux/arm64/v9', 'linux/arm64/v8', 'linux/arm/v8'],
    },
    { host: 'linux/arm64/v9', runs: ['linux/arm64/v9', 'linux/arm64/v9.0'], doesNotRun: ['linux/arm64/v8.1'] },
    {
      host: 'windows(10.0.17763)/amd64',
      runs: ['windows/amd64', 'windows(10.0.17763)/amd64'],
      doesNotRun: ['windows(10.0.20348)/amd64', 'linux/amd64'],
    },
  ],
  os: [
    {
      host: 'linux/amd64',
      runs: ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/386', 'linux/s390x'],
      doesNotRun: ['windows/amd64', 'darwin/arm64', 'unknown/unknown'],
    },
    {
      host: 'windows(10.0.17763)/amd64',
      runs: ['windows/amd64', 'windows/arm64', 'windows(10.0.17763)/arm64'],
      doesNotRun: ['linux/amd64', 'windows(10.0.20348)/amd64'],
    },
    {
      host: 'linux(+gpu)/amd64',
      runs: ['linux/arm64', 'linux(+gpu)/amd64'],
      doesNotRun: ['windows/amd64', 'linux(+gpu+simd)/amd64'],
    },
  ],
};

for (const mode of MATCH_MODES) {
  describe(`platformMatcher(host, '${mode}').match`, () => {
    for (const { host, runs, doesNotRun } of MATCHES[mode]) {
      const matcher = platformMatcher(host, mode);
      for (const image of runs) {
        test(`${image} runs on ${host}`, () => assert.equal(matcher.match(parsePlatform(image)), true));
      }
      for (const image of doesNotRun) {
        test(`${image} does not run on ${host}`, () => assert.equal(matcher.match(parsePlatform(image)), false));
      }
    }
  });
}

describe('platformMatcher: the acceptance facts', () => {
  test('aarch64 parses to arm64', () => assert.equal(parsePlatform('aarch64').architecture, 'arm64'));
  test('an amd64 host runs 386 images, but not in strict mode', () => {
    assert.equal(platformMatcher('linux/amd64').match(parsePlatform('linux/386')), true);
    assert.equal(platformMatcher('linux/amd64', 'strict').match(parsePlatform('linux/386')), false);
  });
  test('an arm/v6 host does not run an arm/v7 image', () => {
    assert.equal(platformMatcher(ARM_V6_HOST).match(parsePlatform('linux/arm/v7')), false);
  });
  test('an arm/v7 host runs v6 and v5 and prefers v7, then v6, then v5', () => {
    const matcher = platformMatcher('linux/arm/v7');
    const images = ['linux/arm/v5', 'linux/arm/v7', 'linux/arm/v6'].map((s) => parsePlatform(s));
    assert.ok(images.every((image) => matcher.match(image)));
    assert.deepEqual(
      sortPlatforms(matcher, images).map((p) => formatPlatform(p)),
      ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5'],
    );
  });
  test('an arm64 host runs arm64/v8, arm64 and arm/v7, and prefers arm64', () => {
    const matcher = platformMatcher('linux/arm64');
    const images = ['linux/arm/v7', 'linux/arm64/v8', 'linux/arm64'].map((s) => parsePlatform(s));
    assert.ok(images.every((image) => matcher.match(image)));
    assert.deepEqual(bestMatch(matcher, images), { index: 1, platform: images[1] });
    assert.equal(matcher.less(images[2]!, images[0]!), true);
    assert.equal(matcher.less(images[0]!, images[2]!), false);
  });
});

describe('platformMatcher: arguments', () => {
  test('takes a Platform or a specifier, and keeps the normalised host and the mode', () => {
    const fromString = platformMatcher('linux/aarch64/v8', 'exact');
    const fromPlatform = platformMatcher({ os: 'Linux', architecture: 'arm64' }, 'exact');
    assert.deepEqual(fromString.platform, { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(fromPlatform.platform, fromString.platform);
    assert.equal(fromString.mode, 'exact');
    assert.equal(platformMatcher('linux/amd64').mode, 'compatible');
  });
  test('a bad specifier throws INVALID_PLATFORM, a bad mode INVALID_ARGUMENT', () => {
    assert.throws(() => platformMatcher('linux/'), { code: 'INVALID_PLATFORM' });
    assert.throws(() => platformMatcher('linux/amd64', 'loose' as MatchMode), {
      code: 'INVALID_ARGUMENT',
      message: /"loose"/,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ordering: sort shuffled candidates, expect the preference order (no ties in these lists)

interface OrderCase {
  host: string;
  mode: MatchMode;
  best: string[];
}

const ORDERS: OrderCase[] = [
  {
    host: 'linux/arm/v7',
    mode: 'compatible',
    best: [
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
      // the rest does not run: the host's OS and architecture first, then in name order
      'linux/arm/v8',
      'linux/amd64',
      'linux/arm64',
      'windows/arm/v7',
    ],
  },
  {
    host: 'linux/arm64',
    mode: 'compatible',
    best: [
      'linux/arm64',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
      'linux/arm64/v8.2',
      'linux/386',
      'linux/amd64',
    ],
  },
  {
    host: 'linux/amd64/v3',
    mode: 'compatible',
    best: ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386', 'linux/amd64/v4', 'linux/arm64'],
  },
  {
    host: 'linux/arm64/v9.2',
    mode: 'compatible',
    best: [
      'linux/arm64/v9.2',
      'linux/arm64/v9.1',
      'linux/arm64/v9',
      'linux/arm64/v8.7',
      'linux/arm64/v8.2',
      'linux/arm64',
      'linux/arm/v7',
      'linux/arm64/v9.3',
      'linux/arm64/v8.8',
    ],
  },
  {
    host: 'linux/ppc64le/power10',
    mode: 'compatible',
    // power09 and power9 are the same level; the one written with more zeros is "higher" only to break the tie.
    best: [
      'linux/ppc64le/power10',
      'linux/ppc64le/power09',
      'linux/ppc64le/power9',
      'linux/ppc64le',
      'linux/ppc64le/power11',
    ],
  },
  {
    host: 'windows(10.0.26100)/amd64',
    mode: 'compatible',
    best: [
      'windows(10.0.26100.3000)/amd64',
      'windows(10.0.26100.2894)/amd64',
      'windows(10.0.20348.3091)/amd64',
      'windows/amd64',
      'windows(10.0.17763.1)/amd64',
      'linux/amd64',
    ],
  },
  {
    host: 'linux(+gpu)/amd64',
    mode: 'compatible',
    best: ['linux(+gpu)/amd64', 'linux/amd64', 'linux(+gpu+simd)/amd64'],
  },
  {
    host: 'linux/amd64',
    mode: 'os',
    best: ['linux/amd64', 'linux/386', 'linux/arm/v7', 'linux/arm64', 'darwin/amd64', 'windows/amd64'],
  },
  {
    // Of the candidates strict mode rejects, one that would still run on the host (386) comes before one that
    // would not (amd64/v2).
    host: 'linux/amd64',
    mode: 'strict',
    best: ['linux/amd64', 'linux/386', 'linux/amd64/v2', 'linux/arm64'],
  },
  {
    host: 'linux/amd64',
    mode: 'exact',
    best: ['linux/amd64', 'linux/386', 'linux/amd64/v2', 'linux/arm64', 'unknown/unknown'],
  },
];

/** A few fixed shuffles of a list: reversed, rotated, and interleaved. */
function shuffles<T>(list: readonly T[]): T[][] {
  const reversed = [...list].reverse();
  const rotated = [...list.slice(2), ...list.slice(0, 2)];
  const odd = list.filter((_, i) => i % 2 === 1);
  const even = list.filter((_, i) => i % 2 === 0);
  return [reversed, rotated, [...odd, ...even.reverse()]];
}

describe('less: sorting shuffled candidates gives the preference order', () => {
  for (const { host, mode, best } of ORDERS) {
    test(`${mode} on ${host}`, () => {
      const matcher = platformMatcher(host, mode);
      const candidates = best.map((s) => parsePlatform(s));
      for (const shuffled of shuffles(candidates)) {
        assert.notDeepEqual(shuffled, candidates);
        assert.deepEqual(
          sortPlatforms(matcher, shuffled).map((p) => formatPlatform(p)),
          best,
        );
      }
      fc.assert(
        fc.property(fc.shuffledSubarray(candidates, { minLength: candidates.length }), (shuffled) => {
          assert.deepEqual(
            sortPlatforms(matcher, shuffled).map((p) => formatPlatform(p)),
            best,
          );
        }),
        { numRuns: 50 },
      );
    });
  }

  test('ties keep their order', () => {
    const matcher = platformMatcher('linux/arm64');
    const tied = [
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'linux', architecture: 'aarch64' },
    ];
    assert.deepEqual(sortPlatforms(matcher, tied), tied);
    assert.deepEqual(sortPlatforms(matcher, [...tied].reverse()), [...tied].reverse());
  });
});

describe('bestMatch', () => {
  const index: (Platform | undefined)[] = [
    parsePlatform('linux/amd64'),
    undefined,
    parsePlatform('unknown/unknown'),
    parsePlatform('linux/arm/v6'),
    parsePlatform('linux/arm64/v8'),
    parsePlatform('linux/arm/v7'),
  ];
  const BEST: [string, number | undefined][] = [
    ['linux/arm64', 4],
    ['linux/arm/v7', 5],
    ['linux/arm/v6', 3],
    ['linux/amd64', 0],
    ['linux/386', undefined],
    ['windows/amd64', undefined],
  ];
  for (const [host, expected] of BEST) {
    test(`on ${host}: ${expected === undefined ? 'nothing runs' : formatPlatform(index[expected]!)}`, () => {
      const found = bestMatch(platformMatcher(host), index);
      assert.deepEqual(found, expected === undefined ? undefined : { index: expected, platform: index[expected] });
    });
  }
  test('an empty list has no best match', () => {
    assert.equal(bestMatch(platformMatcher('linux/amd64'), []), undefined);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Windows OS versions

describe('Windows versions', () => {
  const WS2019 = 17763;
  const WS2022 = 20348;
  const WIN11 = 22621;
  const WS2025 = 26100;
  /** [host build, image build, runs] */
  const BUILDS: [number, number, boolean][] = [
    [WS2019, WS2019, true],
    [WS2019, WS2022, false],
    [WS2022, WS2019, false],
    [WS2022, WS2022, true],
    [WS2022, WIN11, false],
    [WIN11, WS2019, false],
    [WIN11, WS2022, true],
    [WS2025, WS2022, true],
    [WS2025, WIN11, true],
    [WS2025, WS2025, true],
    [WS2025, 26200, false],
    [26200, WS2025, true],
    [26200, WS2022, true],
    [26200, WS2019, false],
  ];
  for (const [host, image, runs] of BUILDS) {
    test(`a ${host} host ${runs ? 'runs' : 'does not run'} a ${image} image`, () => {
      assert.equal(
        windowsBuildsCompatible({ major: 10, minor: 0, build: host }, { major: 10, minor: 0, build: image }),
        runs,
      );
    });
  }
  test('major and minor must agree', () => {
    assert.equal(
      windowsBuildsCompatible({ major: 10, minor: 0, build: WS2022 }, { major: 6, minor: 3, build: WS2022 }),
      false,
    );
  });
  test('parseWindowsVersion reads major.minor.build and ignores the revision', () => {
    assert.deepEqual(parseWindowsVersion('10.0.20348'), { major: 10, minor: 0, build: 20348 });
    assert.deepEqual(parseWindowsVersion('10.0.20348.2700'), { major: 10, minor: 0, build: 20348 });
    for (const bad of ['', '10.0', 'v10.0.1', '10.0.70000', '300.0.1', '10.0.1-x', 'ten']) {
      assert.equal(parseWindowsVersion(bad), undefined, bad);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// conversions

describe('conversions', () => {
  test('from and to the OCI JSON field names', () => {
    const spec = {
      architecture: 'amd64',
      os: 'windows',
      'os.version': '10.0.20348.2700',
      'os.features': ['win32k'],
    };
    const platform = fromSpecPlatform(spec);
    assert.deepEqual(platform, {
      os: 'windows',
      architecture: 'amd64',
      osVersion: '10.0.20348.2700',
      osFeatures: ['win32k'],
    });
    assert.deepEqual(toSpecPlatform(platform), spec);
    assert.deepEqual(fromSpecPlatform({ architecture: 'arm', os: 'linux', variant: 'v7' }), {
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
    assert.deepEqual(toSpecPlatform({ os: 'linux', architecture: 'arm64', variant: '', osFeatures: [] }), {
      architecture: 'arm64',
      os: 'linux',
    });
  });

  const NODE: [Parameters<typeof platformFromNode>[0], string][] = [
    [{ platform: 'linux', arch: 'x64' }, 'linux/amd64'],
    [{ platform: 'darwin', arch: 'arm64' }, 'darwin/arm64'],
    [{ platform: 'win32', arch: 'x64', osVersion: '10.0.20348' }, 'windows(10.0.20348)/amd64'],
    [{ platform: 'linux', arch: 'arm', armVersion: '6' }, 'linux/arm/v6'],
    [{ platform: 'linux', arch: 'arm', armVersion: 7 }, 'linux/arm/v7'],
    [{ platform: 'linux', arch: 'arm' }, 'linux/arm/v7'],
    [{ platform: 'linux', arch: 'ia32' }, 'linux/386'],
    [{ platform: 'linux', arch: 'ppc64' }, 'linux/ppc64le'],
    [{ platform: 'aix', arch: 'ppc64', endianness: 'BE' }, 'aix/ppc64'],
    [{ platform: 'linux', arch: 'mipsel' }, 'linux/mipsle'],
    [{ platform: 'linux', arch: 'riscv64' }, 'linux/riscv64'],
    [{ platform: 'sunos', arch: 'x64' }, 'solaris/amd64'],
  ];
  for (const [machine, expected] of NODE) {
    test(`Node's ${machine.platform}/${machine.arch} is ${expected}`, () => {
      assert.equal(formatPlatform(platformFromNode(machine)), expected);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// properties

const osName = fc.constantFrom('linux', 'Linux', 'windows', 'darwin', 'macos', 'freebsd', 'unknown', 'plan9', 'zz');
const archName = fc.constantFrom(
  'amd64',
  'x86_64',
  'x86-64',
  'AMD64',
  'arm64',
  'aarch64',
  'arm',
  'armhf',
  'armel',
  'i386',
  'i686',
  '386',
  'ppc64le',
  'riscv64',
  's390x',
  'mips64le',
  'loong64',
  'unknown',
  'made.up',
);
const variantName = fc.constantFrom('v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', '7', '8', 'v8.2', 'v9', 'v9.0');
const osVersion = fc.constantFrom('', '10.0.20348', '10.0.17763.1', '10.0.26100', '7.2', '50%25done', '%zz', 'a%2Fb');
const osFeature = fc.constantFrom('win32k', 'gpu', 'simd', 'a%2Bb', 'erofs', '');
const osPart = fc.oneof(
  osName,
  fc
    .tuple(osName, osVersion, fc.array(osFeature, { maxLength: 3 }))
    .map(([os, version, features]) => `${os}(${version}${features.map((f) => `+${f}`).join('')})`),
);
/** Specifiers from the grammar's pieces, some of them invalid on purpose. */
const specifier = fc.oneof(
  osPart,
  archName,
  fc.tuple(osPart, archName).map((parts) => parts.join('/')),
  fc.tuple(osPart, archName, variantName).map((parts) => parts.join('/')),
);

function tryParse(spec: string): Platform | undefined {
  try {
    return parsePlatform(spec);
  } catch {
    return undefined;
  }
}

/** A pool of platforms to draw hosts and candidates from. */
const POOL = [
  ...new Set([
    ...CANONICAL,
    ...Object.values(MATCHES).flatMap((cases) => cases.flatMap((c) => [c.host, ...c.runs, ...c.doesNotRun])),
    ...ORDERS.flatMap((o) => o.best),
  ]),
].map((s) => parsePlatform(s));
const pooled = fc.constantFrom(...POOL);

describe('properties', () => {
  test('parsePlatform throws nothing but INVALID_PLATFORM, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), specifier), (spec) => {
        try {
          parsePlatform(spec);
        } catch (error) {
          assert.ok(isArchfitError(error, 'INVALID_PLATFORM'), String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('format then parse gives back what parse gave (and format is stable)', () => {
    let parsed = 0;
    fc.assert(
      fc.property(specifier, (spec) => {
        const once = tryParse(spec);
        if (once === undefined) return;
        parsed++;
        const text = formatPlatform(once);
        assert.deepEqual(parsePlatform(text), once);
        assert.equal(formatPlatform(parsePlatform(text)), text);
      }),
      { numRuns: 2000 },
    );
    assert.ok(parsed > 500, `only ${parsed} specifiers parsed`);
  });

  test('any OS version and OS features survive format and parse', () => {
    const wellFormed = (s: string) => {
      try {
        encodeURIComponent(s);
        return true;
      } catch {
        return false;
      }
    };
    const anyText = fc.string({ unit: 'binary', maxLength: 20 }).filter(wellFormed);
    fc.assert(
      fc.property(anyText, fc.array(anyText, { maxLength: 4 }), (version, features) => {
        const p = parsePlatform(
          formatPlatform({ os: 'windows', architecture: 'amd64', osVersion: version, osFeatures: features }),
        );
        assert.equal(p.osVersion ?? '', version);
        assert.deepEqual(p.osFeatures ?? [], [...new Set(features.filter((f) => f !== ''))].sort());
      }),
      { numRuns: 1000 },
    );
  });

  test('normalizePlatform is idempotent and agrees with platformsEqual', () => {
    fc.assert(
      fc.property(specifier, (spec) => {
        const p = tryParse(spec);
        if (p === undefined) return;
        const n = normalizePlatform(p);
        assert.deepEqual(normalizePlatform(n), n);
        assert.ok(platformsEqual(p, n));
      }),
      { numRuns: 1000 },
    );
  });

  test('every matcher matches its own host, and exact ⊆ compatible ⊆ os', () => {
    fc.assert(
      fc.property(pooled, pooled, (host, candidate) => {
        for (const mode of MATCH_MODES)
          assert.ok(platformMatcher(host, mode).match(host), `${mode} ${formatPlatform(host)}`);
        const exact = platformMatcher(host, 'exact').match(candidate);
        const compatible = platformMatcher(host, 'compatible').match(candidate);
        const os = platformMatcher(host, 'os').match(candidate);
        assert.equal(platformMatcher(host, 'strict').match(candidate), exact);
        if (exact) assert.ok(compatible);
        if (compatible) assert.ok(os);
      }),
      { numRuns: 2000 },
    );
  });

  test('less is a strict weak ordering that puts matches first', () => {
    fc.assert(
      fc.property(pooled, fc.constantFrom(...MATCH_MODES), pooled, pooled, pooled, (host, mode, a, b, c) => {
        const m = platformMatcher(host, mode);
        assert.equal(m.less(a, a), false, 'irreflexive');
        if (m.less(a, b)) assert.equal(m.less(b, a), false, 'asymmetric');
        if (m.less(a, b) && m.less(b, c)) assert.ok(m.less(a, c), 'transitive');
        const tie = (x: Platform, y: Platform) => !m.less(x, y) && !m.less(y, x);
        if (tie(a, b) && tie(b, c)) assert.ok(tie(a, c), 'ties are transitive');
        if (m.match(a) && !m.match(b)) assert.ok(m.less(a, b), 'a match comes first');
      }),
      { numRuns: 3000 },
    );
  });

  test('sortPlatforms puts every match before every non-match and bestMatch is the first match', () => {
    fc.assert(
      fc.property(pooled, fc.constantFrom(...MATCH_MODES), fc.array(pooled, { maxLength: 12 }), (host, mode, list) => {
        const m = platformMatcher(host, mode);
        const sorted = sortPlatforms(m, list);
        assert.equal(sorted.length, list.length);
        const flags = sorted.map((p) => m.match(p));
        assert.deepEqual(
          flags,
          [...flags].sort((x, y) => Number(y) - Number(x)),
        );
        const best = bestMatch(m, list);
        if (flags[0]) {
          assert.ok(best !== undefined);
          assert.ok(!m.less(sorted[0]!, best.platform) && !m.less(best.platform, sorted[0]!));
        } else {
          assert.equal(best, undefined);
        }
      }),
      { numRuns: 500 },
    );
  });
});
