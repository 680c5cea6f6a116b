// src/binary against real programs and the real kernel: the busybox binaries of six architectures and the host's
// dynamic programs (checked against the harness's independent ELF reader), hostile ELF headers (every truncation,
// bad class and byte order, huge and overflowing program header tables, broken PT_INTERP), `#!` lines parsed as the
// kernel parses them (and, where we can exec, compared with what the kernel really passes to the interpreter), PE
// headers, and property tests: no input makes these functions throw.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type BinaryFacts,
  describeBinary,
  type ElfFacts,
  headBytesNeeded,
  identifyBinary,
  MAX_HEAD_BYTES,
  MIN_HEAD_BYTES,
  parseShebang,
  readElf,
  readPe,
} from '../src/binary/index.js';
import { isArchfitError } from '../src/errors.js';
import { makeTempDir } from './support/cleanup.js';
import { realExecUnavailable, runEntrypoint } from './support/deep-exec.js';
import { readElfFacts } from './support/elf.js';
import { busyboxPath, DEBIAN_ARCHES, type DebianArch } from './support/paths.js';

/** What each Debian busybox-static is, as `file(1)` would say it. */
const BUSYBOX: Record<
  DebianArch,
  { elfClass: 32 | 64; byteOrder: 'little' | 'big'; machine: number; architecture: string; file: string }
> = {
  amd64: {
    elfClass: 64,
    byteOrder: 'little',
    machine: 62,
    architecture: 'amd64',
    file: 'ELF 64-bit LSB x86-64, static',
  },
  arm64: {
    elfClass: 64,
    byteOrder: 'little',
    machine: 183,
    architecture: 'arm64',
    file: 'ELF 64-bit LSB aarch64, static',
  },
  armhf: {
    elfClass: 32,
    byteOrder: 'little',
    machine: 40,
    architecture: 'arm',
    file: 'ELF 32-bit LSB ARM EABI5 hard-float, static',
  },
  i386: {
    elfClass: 32,
    byteOrder: 'little',
    machine: 3,
    architecture: '386',
    file: 'ELF 32-bit LSB Intel 80386, static',
  },
  ppc64el: {
    elfClass: 64,
    byteOrder: 'little',
    machine: 21,
    architecture: 'ppc64le',
    file: 'ELF 64-bit LSB PowerPC64, static',
  },
  s390x: {
    elfClass: 64,
    byteOrder: 'big',
    machine: 22,
    architecture: 's390x',
    file: 'ELF 64-bit MSB IBM S/390, static',
  },
};

/** Reads a head the way the layer reader does: growing it until `headBytesNeeded` is satisfied. */
function readHead(bytes: Buffer, max = MAX_HEAD_BYTES): Buffer {
  let head = bytes.subarray(0, 0);
  for (let need = headBytesNeeded(head, max); head.length < need && head.length < bytes.length; ) {
    head = bytes.subarray(0, Math.min(need, bytes.length));
    need = headBytesNeeded(head, max);
  }
  return head;
}

function expectElf(facts: BinaryFacts): ElfFacts {
  assert.equal(facts.format, 'elf', `expected an ELF, got ${describeBinary(facts)}`);
  return facts as ElfFacts;
}

describe('ELF: the real busybox of six architectures', () => {
  for (const arch of DEBIAN_ARCHES) {
    test(`busybox-${arch}`, () => {
      const bytes = readFileSync(busyboxPath(arch));
      const want = BUSYBOX[arch];
      const whole = expectElf(identifyBinary(bytes));
      assert.equal(whole.elfClass, want.elfClass);
      assert.equal(whole.byteOrder, want.byteOrder);
      assert.equal(whole.machine, want.machine);
      assert.equal(whole.architecture, want.architecture);
      assert.equal(whole.linkage, 'static');
      assert.equal(whole.interpreter, undefined);
      assert.equal(describeBinary(whole), want.file);
      // The independent harness reader agrees on the machine.
      assert.equal(readElfFacts(bytes)?.machine, whole.machine);
      // A head read as the layer reader reads it gives the same facts, and is small.
      const head = readHead(bytes);
      assert.ok(head.length < 4096, `head of ${head.length} bytes`);
      assert.deepEqual(identifyBinary(head, { fileSize: bytes.length }), whole);
      if (arch === 'armhf') assert.deepEqual(whole.arm, { eabiVersion: 5, float: 'hard' });
    });
  }
});

describe('ELF: dynamic programs of this host', () => {
  const candidates = ['/usr/bin/true', '/bin/ls', process.execPath].filter((p) => existsSync(p));
  for (const path of candidates) {
    test(path, () => {
      const bytes = readFileSync(path);
      const harness = readElfFacts(bytes);
      assert.ok(harness?.interpreter, 'the harness sees a PT_INTERP');
      const facts = expectElf(identifyBinary(bytes));
      assert.equal(facts.linkage, 'dynamic');
      assert.equal(facts.interpreter, harness.interpreter);
      assert.equal(facts.machine, harness.machine);
      assert.equal(describeBinary(facts).endsWith(`, dynamic (interpreter ${harness.interpreter})`), true);
      assert.deepEqual(identifyBinary(readHead(bytes), { fileSize: bytes.length }), facts);
    });
  }

  test('the dynamic loader itself is a static PIE, and heads found by headBytesNeeded match whole files', () => {
    const loader = readElfFacts(readFileSync('/usr/bin/true'))?.interpreter;
    assert.ok(loader && existsSync(loader));
    const facts = expectElf(identifyBinary(readFileSync(loader)));
    assert.equal(facts.linkage, 'static');
    assert.equal(facts.pie, true);
    assert.match(describeBinary(facts), /, static-pie$/);
  });

  test('a head shorter than the program headers is incomplete (linkage unknown), not malformed', () => {
    const bytes = readFileSync('/usr/bin/true');
    const facts = expectElf(identifyBinary(bytes.subarray(0, 64), { fileSize: bytes.length }));
    assert.equal(facts.linkage, 'unknown');
    // Without the file size the same bytes are a truncated file.
    const alone = identifyBinary(bytes.subarray(0, 64));
    assert.equal(alone.format, 'malformed');
  });
});

// --- synthetic ELF headers -------------------------------------------------------------------------------------

interface ElfSpec {
  elfClass?: 32 | 64;
  order?: 'little' | 'big';
  type?: number;
  machine?: number;
  flags?: number;
  phnum?: number;
  phentsize?: number;
  phoff?: bigint;
  interp?: Buffer | string;
  interpFilesz?: bigint;
  interpOffset?: bigint;
}

/** A minimal ELF: header, PT_LOAD (+ PT_INTERP), then the interpreter string. */
function makeElf(spec: ElfSpec = {}): Buffer {
  const c = spec.elfClass ?? 64;
  const le = (spec.order ?? 'little') === 'little';
  const hsize = c === 64 ? 64 : 52;
  const ph = c === 64 ? 56 : 32;
  const interp = spec.interp === undefined ? undefined : Buffer.from(spec.interp);
  const count = interp ? 2 : 1;
  const interpAt = hsize + count * ph;
  const b = Buffer.alloc(interpAt + (interp?.length ?? 0));
  b.set([0x7f, 0x45, 0x4c, 0x46, c === 64 ? 2 : 1, le ? 1 : 2, 1], 0);
  const u16 = (o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const word = (o: number, v: bigint) =>
    c === 64 ? (le ? b.writeBigUInt64LE(v, o) : b.writeBigUInt64BE(v, o)) : u32(o, Number(v & 0xffffffffn));
  u16(16, spec.type ?? 2);
  u16(18, spec.machine ?? 62);
  u32(20, 1);
  word(c === 64 ? 32 : 28, spec.phoff ?? BigInt(hsize));
  u32(c === 64 ? 48 : 36, spec.flags ?? 0);
  u16(c === 64 ? 52 : 40, hsize);
  u16(c === 64 ? 54 : 42, spec.phentsize ?? ph);
  u16(c === 64 ? 56 : 44, spec.phnum ?? count);
  // PT_LOAD
  u32(hsize, 1);
  if (interp) {
    const p = hsize + ph;
    u32(p, 3);
    word(p + (c === 64 ? 8 : 4), spec.interpOffset ?? BigInt(interpAt));
    word(p + (c === 64 ? 32 : 16), spec.interpFilesz ?? BigInt(interp.length));
    b.set(interp, interpAt);
  }
  return b;
}

describe('ELF: machines, classes and byte orders → OCI architectures', () => {
  const TABLE: [string, ElfSpec, string | undefined, string][] = [
    ['x86-64', { machine: 62 }, 'amd64', 'x86-64'],
    ['x32 ABI', { machine: 62, elfClass: 32 }, 'amd64p32', 'x86-64'],
    ['i386', { machine: 3, elfClass: 32 }, '386', 'Intel 80386'],
    ['aarch64', { machine: 183 }, 'arm64', 'aarch64'],
    ['aarch64 big-endian', { machine: 183, order: 'big' }, 'arm64be', 'aarch64'],
    ['arm', { machine: 40, elfClass: 32, flags: 0x05000400 }, 'arm', 'ARM'],
    ['ppc64le', { machine: 21 }, 'ppc64le', 'PowerPC64'],
    ['ppc64 big-endian (EM_PPC64 MSB)', { machine: 21, order: 'big' }, 'ppc64', 'PowerPC64'],
    ['ppc 32-bit', { machine: 20, elfClass: 32, order: 'big' }, 'ppc', 'PowerPC'],
    ['s390x', { machine: 22, order: 'big' }, 's390x', 'IBM S/390'],
    ['s390 31-bit', { machine: 22, elfClass: 32, order: 'big' }, 's390', 'IBM S/390'],
    ['riscv64', { machine: 243 }, 'riscv64', 'RISC-V'],
    ['mips', { machine: 8, elfClass: 32, order: 'big' }, 'mips', 'MIPS'],
    ['mipsle', { machine: 8, elfClass: 32 }, 'mipsle', 'MIPS'],
    ['mips64', { machine: 8, order: 'big' }, 'mips64', 'MIPS'],
    ['mips64le', { machine: 8 }, 'mips64le', 'MIPS'],
    ['mips n32', { machine: 8, elfClass: 32, flags: 0x20 }, 'mips64p32le', 'MIPS'],
    ['loong64', { machine: 258 }, 'loong64', 'LoongArch'],
    ['sparc64', { machine: 43, order: 'big' }, 'sparc64', 'SPARC V9'],
    ['an unknown machine', { machine: 0x4242 }, undefined, 'machine 16962'],
  ];
  for (const [name, spec, architecture, machineName] of TABLE) {
    test(name, () => {
      const facts = expectElf(identifyBinary(makeElf(spec)));
      assert.equal(facts.architecture, architecture);
      assert.equal(facts.machineName, machineName);
      assert.equal(facts.linkage, 'static');
    });
  }

  test('dynamic: PT_INTERP up to its NUL, described with the loader', () => {
    const facts = expectElf(identifyBinary(makeElf({ interp: '/lib/ld-musl-aarch64.so.1\0', machine: 183 })));
    assert.equal(facts.interpreter, '/lib/ld-musl-aarch64.so.1');
    assert.equal(describeBinary(facts), 'ELF 64-bit LSB aarch64, dynamic (interpreter /lib/ld-musl-aarch64.so.1)');
    // Bytes after the first NUL (padding) are not part of the path.
    const padded = expectElf(identifyBinary(makeElf({ interp: '/lib/ld.so\0\0\0\0' })));
    assert.equal(padded.interpreter, '/lib/ld.so');
  });
});

describe('ELF: hostile headers are "malformed", never a throw', () => {
  test('every truncation of a real 64-bit and 32-bit header, 0 to 64 bytes', () => {
    for (const arch of ['amd64', 'i386'] as const) {
      const bytes = readFileSync(busyboxPath(arch));
      for (let n = 0; n <= 64; n++) {
        const facts = identifyBinary(bytes.subarray(0, n));
        if (n === 0) assert.deepEqual(facts, { format: 'unknown', reason: 'an empty file' });
        else if (n < 4) assert.equal(facts.format, 'unknown', `${arch} ${n} bytes`);
        else {
          assert.equal(facts.format, 'malformed', `${arch} ${n} bytes: ${describeBinary(facts)}`);
          assert.match((facts as { reason: string }).reason, /truncated/);
        }
        // With the real size, a head long enough for the header is incomplete rather than malformed.
        const withSize = identifyBinary(bytes.subarray(0, n), { fileSize: bytes.length });
        const headerSize = arch === 'amd64' ? 64 : 52;
        if (n >= headerSize) assert.equal(withSize.format, 'elf', `${arch} ${n} bytes with size`);
      }
    }
  });

  const HOSTILE: [string, Buffer, RegExp][] = [
    ['EI_CLASS 0', Object.assign(makeElf(), { 4: 0 }), /invalid ELF class byte \(EI_CLASS = 0\)/],
    ['EI_CLASS 3', Object.assign(makeElf(), { 4: 3 }), /EI_CLASS = 3/],
    ['EI_DATA 0', Object.assign(makeElf(), { 5: 0 }), /invalid ELF byte order \(EI_DATA = 0\)/],
    ['EI_DATA 255', Object.assign(makeElf(), { 5: 255 }), /EI_DATA = 255/],
    ['e_phnum 65535 (PN_XNUM)', makeElf({ phnum: 0xffff }), /65535 program headers/],
    ['e_phnum 0', makeElf({ phnum: 0 }), /no program headers/],
    ['e_phentsize 32 in a 64-bit file', makeElf({ phentsize: 32 }), /entry size 32, expected 56/],
    ['e_phentsize 0', makeElf({ phentsize: 0 }), /entry size 0/],
    ['e_phoff past the end', makeElf({ phoff: 1_000_000n }), /program headers end at byte 1000056/],
    ['e_phoff + size overflows 64 bits', makeElf({ phoff: 0xffffffffffffff00n }), /would end beyond any file/],
    ['e_phoff near 2^53', makeElf({ phoff: 2n ** 53n - 8n }), /would end beyond any file/],
    ['PT_INTERP not NUL-terminated', makeElf({ interp: '/lib/ld.so' }), /not NUL-terminated/],
    ['PT_INTERP of 1 byte', makeElf({ interp: '\0', interpFilesz: 1n }), /PT_INTERP of 1 bytes/],
    ['PT_INTERP of 5000 bytes', makeElf({ interp: 'x\0', interpFilesz: 5000n }), /PT_INTERP of 5000 bytes/],
    ['PT_INTERP beyond the file', makeElf({ interp: 'x\0', interpOffset: 99_999n }), /PT_INTERP path end/],
    ['PT_INTERP offset overflows', makeElf({ interp: 'x\0', interpOffset: 0xfffffffffffffff0n }), /beyond any file/],
    ['ET_REL', makeElf({ type: 1 }), /relocatable object \(ET_REL\), not a program/],
    ['ET_CORE', makeElf({ type: 4 }), /core dump/],
    ['e_type 0xfe00', makeElf({ type: 0xfe00 }), /unknown type 65024/],
  ];
  for (const [name, bytes, reason] of HOSTILE) {
    test(name, () => {
      const facts = identifyBinary(bytes);
      assert.equal(facts.format, 'malformed', describeBinary(facts));
      assert.match((facts as { reason: string }).reason, reason);
      assert.match(describeBinary(facts), /^malformed ELF: /);
    });
  }

  test('what is known before the problem is kept (machine, architecture)', () => {
    const facts = readElf(makeElf({ machine: 183, phentsize: 12 }));
    assert.equal(facts.format, 'malformed');
    assert.equal(facts.architecture, 'arm64');
    assert.equal(facts.machine, 183);
  });

  test('headBytesNeeded stays within [MIN, max] on hostile headers', () => {
    for (const [, bytes] of HOSTILE) {
      const n = headBytesNeeded(bytes);
      assert.ok(n >= MIN_HEAD_BYTES && n <= MAX_HEAD_BYTES, `${n}`);
    }
    assert.equal(headBytesNeeded(makeElf({ phoff: 1_000_000n }), 4096), 4096);
  });
});

// --- #! lines ----------------------------------------------------------------------------------------------------

interface ShebangCase {
  name: string;
  line: (interpreter: string) => Buffer | string;
  expect: (interpreter: string) => { interpreter: string; argument?: string; crlf?: boolean } | 'malformed';
}

const SHEBANGS: ShebangCase[] = [
  { name: 'plain', line: (p) => `#!${p}\necho\n`, expect: (p) => ({ interpreter: p }) },
  { name: 'a space after #!', line: (p) => `#! ${p}\n`, expect: (p) => ({ interpreter: p }) },
  { name: 'tabs and spaces after #!', line: (p) => `#!\t \t${p}\n`, expect: (p) => ({ interpreter: p }) },
  { name: 'one argument', line: (p) => `#!${p} -x\n`, expect: (p) => ({ interpreter: p, argument: '-x' }) },
  {
    name: 'the rest of the line is ONE argument',
    line: (p) => `#!${p}  -x  y \n`,
    expect: (p) => ({ interpreter: p, argument: '-x  y' }),
  },
  {
    name: 'tab-separated words stay one argument, trailing tabs trimmed',
    line: (p) => `#!${p}\t-x\ty\t\n`,
    expect: (p) => ({ interpreter: p, argument: '-x\ty' }),
  },
  {
    name: 'env with two words (one argument: "python3 -u")',
    line: (p) => `#!${p} python3 -u\n`,
    expect: (p) => ({ interpreter: p, argument: 'python3 -u' }),
  },
  {
    name: 'CRLF: the \\r is part of the interpreter',
    line: (p) => `#!${p}\r\n`,
    expect: (p) => ({ interpreter: `${p}\r`, crlf: true }),
  },
  {
    name: 'CRLF with an argument: the \\r is part of the argument',
    line: (p) => `#!${p} -x\r\n`,
    expect: (p) => ({ interpreter: p, argument: '-x\r', crlf: true }),
  },
  {
    name: 'a \\r before trailing spaces stays',
    line: (p) => `#!${p} -x\r \n`,
    expect: (p) => ({ interpreter: p, argument: '-x\r', crlf: true }),
  },
  { name: 'no newline at all', line: (p) => `#!${p}`, expect: (p) => ({ interpreter: p }) },
  {
    name: 'no newline, with an argument',
    line: (p) => `#!${p} -x`,
    expect: (p) => ({ interpreter: p, argument: '-x' }),
  },
  { name: 'a NUL ends the interpreter', line: (p) => `#!${p}\0junk\n`, expect: (p) => ({ interpreter: p }) },
  { name: 'a NUL ends the argument', line: (p) => `#!${p} a\0b\n`, expect: (p) => ({ interpreter: p, argument: 'a' }) },
  {
    name: 'a line longer than 256 bytes: the argument is cut',
    line: (p) => `#!${p} ${'x'.repeat(300)}\n`,
    expect: (p) => ({ interpreter: p, argument: 'x'.repeat(252 - Buffer.byteLength(p)) }),
  },
  {
    name: 'an interpreter path longer than 256 bytes is refused',
    line: () => `#!/${'a'.repeat(300)}\n`,
    expect: () => 'malformed',
  },
  { name: 'nothing after #!', line: () => '#!\n', expect: () => 'malformed' },
  { name: 'only spaces after #!', line: () => '#!   \t \n', expect: () => 'malformed' },
  { name: 'only spaces, no newline, over 256 bytes', line: () => `#!${' '.repeat(300)}`, expect: () => 'malformed' },
  { name: '#! and nothing else: an empty interpreter path', line: () => '#!', expect: () => ({ interpreter: '' }) },
];

describe('#! lines, parsed as binfmt_script does', () => {
  const P = '/usr/bin/env';
  for (const c of SHEBANGS) {
    test(c.name, () => {
      const facts = parseShebang(Buffer.from(c.line(P)));
      const want = c.expect(P);
      if (want === 'malformed') {
        assert.equal(facts?.format, 'malformed');
        assert.equal(describeBinary(facts!).startsWith('malformed #! script: '), true);
        return;
      }
      assert.deepEqual(facts, {
        format: 'script',
        interpreter: want.interpreter,
        ...(want.argument !== undefined ? { argument: want.argument } : {}),
        crlf: want.crlf ?? false,
      });
    });
  }

  test('described on one line, with the \\r shown', () => {
    assert.equal(describeBinary(identifyBinary(Buffer.from('#!/bin/sh\r\n'))), 'script, #!/bin/sh\\r (CRLF line end)');
    assert.equal(
      describeBinary(identifyBinary(Buffer.from('#!/usr/bin/env python3\n'))),
      'script, #!/usr/bin/env python3',
    );
  });

  test('not a script: no #! at the very start', () => {
    assert.equal(parseShebang(Buffer.from(' #!/bin/sh\n')), undefined);
    assert.equal(identifyBinary(Buffer.from('echo hello\n')).format, 'unknown');
    assert.equal(identifyBinary(Buffer.from('\ufeff#!/bin/sh\n')).format, 'unknown');
  });

  // The real kernel: each line above becomes a script whose interpreter is itself a script that prints the
  // arguments it gets, run by a single execve(2). What the kernel passed must be what parseShebang predicted.
  const skip = realExecUnavailable();
  test('the kernel passes exactly what parseShebang predicts', { skip }, async () => {
    const dir = makeTempDir('shebang');
    const busybox = join(dir, 'busybox');
    copyFileSync(busyboxPath('amd64'), busybox);
    chmodSync(busybox, 0o755);
    const printer = join(dir, 'args');
    writeFileSync(printer, `#!${busybox} sh\nfor a in "$@"; do printf '[%s]' "$a"; done\n`, { mode: 0o755 });
    let i = 0;
    for (const c of SHEBANGS) {
      const script = join(dir, `script-${i++}`);
      writeFileSync(script, c.line(printer), { mode: 0o755 });
      const want = c.expect(printer);
      const real = await runEntrypoint({ root: '-', argv: [script], architecture: 'amd64', env: ['PATH=/bin'] });
      if (want === 'malformed') {
        assert.equal(real.outcome, 'exec-format', `${c.name}: ${real.stderr}`);
        continue;
      }
      if (want.interpreter === '') {
        // An empty interpreter path is looked up as the current directory: EACCES.
        assert.equal(real.outcome, 'not-executable', `${c.name}: ${real.stderr}`);
        continue;
      }
      if (want.interpreter !== printer) {
        // `/…/args\r`: the kernel cannot open it.
        assert.equal(real.outcome, 'interpreter-missing', `${c.name}: ${real.stderr}`);
        continue;
      }
      assert.equal(real.outcome, 'fits', `${c.name}: ${real.stderr}`);
      const args = want.argument !== undefined ? `[${want.argument}][${script}]` : `[${script}]`;
      assert.equal(real.stdout, args, c.name);
    }
  });
});

// --- PE --------------------------------------------------------------------------------------------------------

function makePe(machine: number, lfanew = 0x80): Buffer {
  const b = Buffer.alloc(lfanew + 24);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(lfanew, 0x3c);
  b.write('PE\0\0', lfanew, 'latin1');
  b.writeUInt16LE(machine, lfanew + 4);
  return b;
}

describe('PE', () => {
  test('machines', () => {
    for (const [machine, architecture] of [
      [0x8664, 'amd64'],
      [0xaa64, 'arm64'],
      [0x14c, '386'],
      [0x1c4, 'arm'],
    ] as const) {
      const facts = readPe(makePe(machine));
      assert.equal(facts.format, 'pe');
      assert.equal(facts.format === 'pe' && facts.architecture, architecture);
    }
    assert.equal(describeBinary(identifyBinary(makePe(0x8664))), 'PE x86-64 (Windows)');
  });

  test('an MZ header without PE, or pointing outside the bytes, is malformed', () => {
    const dos = makePe(0x8664);
    dos.write('XX', 0x80, 'latin1');
    assert.match(describeBinary(identifyBinary(dos)), /MS-DOS program/);
    assert.match(describeBinary(identifyBinary(makePe(0x8664).subarray(0, 0x60))), /beyond the 96 bytes/);
    const huge = makePe(0x8664);
    huge.writeUInt32LE(0xffffffff, 0x3c);
    assert.equal(identifyBinary(huge).format, 'malformed');
    assert.equal(headBytesNeeded(huge), MAX_HEAD_BYTES);
  });
});

// --- properties --------------------------------------------------------------------------------------------------

function neverThrows(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    assert.ok(isArchfitError(error), `threw ${String(error)}`);
  }
}

describe('properties: no bytes make src/binary throw', () => {
  const elfHead = readFileSync(busyboxPath('amd64')).subarray(0, 512);
  const dynamicHead = readHead(readFileSync('/usr/bin/true'));

  test('random bytes, and random bytes behind each magic', () => {
    const magic = fc.constantFrom(
      Buffer.alloc(0),
      Buffer.from([0x7f, 0x45, 0x4c, 0x46]),
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]),
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2]),
      Buffer.from('#!'),
      Buffer.from('MZ'),
    );
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 600 }), fc.option(fc.nat()), (m, rest, size) => {
        const bytes = Buffer.concat([m, rest]);
        neverThrows(() => {
          const facts = identifyBinary(bytes, size === null ? {} : { fileSize: size });
          assert.equal(typeof describeBinary(facts), 'string');
          const n = headBytesNeeded(bytes);
          assert.ok(n >= MIN_HEAD_BYTES && n <= MAX_HEAD_BYTES);
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('real ELF headers with random bytes overwritten', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(elfHead, dynamicHead),
        fc.array(fc.tuple(fc.nat({ max: 511 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat({ max: 600 }),
        (base, writes, cut) => {
          const bytes = Buffer.from(base);
          for (const [at, value] of writes) if (at < bytes.length) bytes[at] = value;
          neverThrows(() => {
            const facts = identifyBinary(bytes.subarray(0, cut));
            describeBinary(facts);
            if (facts.format === 'elf' && facts.linkage === 'dynamic') {
              assert.equal(typeof facts.interpreter, 'string');
            }
          });
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('#! lines: the interpreter never holds a space, tab or NUL; the argument never ends in one', () => {
    // The kernel trims spaces and tabs only where it ends the line: at the newline, or at the end of its 256-byte
    // buffer. A NUL before that (a short file with no newline leaves the rest of the buffer zeroed) ends the argument
    // early, untrimmed, and the kernel passes it so.
    const untrimmed = parseShebang(Uint8Array.from([0x23, 0x21, 11, 9, 1, 9]));
    assert.deepEqual(untrimmed, { format: 'script', interpreter: '\x0b', argument: '\x01\t', crlf: false });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (rest) => {
        const facts = parseShebang(Buffer.concat([Buffer.from('#!'), rest]));
        assert.ok(facts, 'a #! head always gives facts');
        if (facts.format === 'script') {
          assert.doesNotMatch(facts.interpreter, /[ \t\0]/);
          const newline = rest.indexOf(0x0a);
          const nul = rest.indexOf(0);
          const lineEndsAtNewline = newline !== -1 && newline < 254 && (nul === -1 || nul > newline);
          if (facts.argument !== undefined && lineEndsAtNewline) assert.doesNotMatch(facts.argument, /[ \t\0]$/);
          assert.equal(facts.crlf, facts.interpreter.endsWith('\r') || (facts.argument?.endsWith('\r') ?? false));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
