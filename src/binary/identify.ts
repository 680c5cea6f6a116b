// One entry point: the head of a file in, what the kernel would make of it out. Pure and total: no I/O, and no
// input makes these functions throw.
import { elfBytesNeeded, hasElfMagic, readElf } from './elf.js';
import { hasMzMagic, peBytesNeeded, readPe } from './pe.js';
import { BINPRM_BUF_SIZE, hasShebang, parseShebang } from './shebang.js';
import type { BinaryFacts, IdentifyOptions } from './types.js';

/** Enough for the ELF header, the magic of any format, and most PE offsets. */
export const MIN_HEAD_BYTES = 64;
/** The most of a file's head worth reading: the kernel reads at most 64 KiB of program headers. */
export const MAX_HEAD_BYTES = 65536;

/**
 * What a file is, from its first bytes: an ELF (machine, class, byte order, static or dynamic and its loader), a
 * `#!` script (interpreter and argument as the kernel splits them), a PE, something malformed that claims one of
 * those, or none of them (execve fails with ENOEXEC).
 */
export function identifyBinary(bytes: Uint8Array, options: IdentifyOptions = {}): BinaryFacts {
  if (bytes.length === 0) {
    return { format: 'unknown', reason: options.fileSize ? 'no bytes read' : 'an empty file' };
  }
  if (hasElfMagic(bytes)) return readElf(bytes, options);
  if (hasShebang(bytes)) return parseShebang(bytes) ?? { format: 'unknown', reason: 'no #! line' };
  if (hasMzMagic(bytes)) return readPe(bytes);
  return { format: 'unknown', reason: 'no ELF header, #! line or MZ header' };
}

/**
 * How many bytes from the start of a file `identifyBinary` needs, judging by the `head` read so far (at least
 * MIN_HEAD_BYTES, at most `max`). Call again as the head grows: ELF program headers and the PT_INTERP path are found
 * only once the header is in.
 */
export function headBytesNeeded(head: Uint8Array, max: number = MAX_HEAD_BYTES): number {
  let needed = MIN_HEAD_BYTES;
  if (hasElfMagic(head)) needed = elfBytesNeeded(head);
  else if (hasShebang(head)) needed = BINPRM_BUF_SIZE;
  else if (hasMzMagic(head)) needed = peBytesNeeded(head);
  return Math.min(max, Math.max(MIN_HEAD_BYTES, needed));
}

/** Control characters (a `\r`, a NUL) shown escaped, so a description stays one readable line. */
function visible(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}…` : escaped;
}

/**
 * One line in the style of file(1): `ELF 64-bit LSB aarch64, static`, `ELF 64-bit LSB x86-64, dynamic (interpreter
 * /lib64/ld-linux-x86-64.so.2)`, `script, #!/bin/sh`, `PE x86-64 (Windows)`, `malformed ELF: …`.
 */
export function describeBinary(facts: BinaryFacts): string {
  switch (facts.format) {
    case 'elf': {
      const arm = facts.arm
        ? `${facts.arm.eabiVersion ? ` EABI${facts.arm.eabiVersion}` : ''}${facts.arm.float ? ` ${facts.arm.float}-float` : ''}`
        : '';
      const head = `ELF ${facts.elfClass}-bit ${facts.byteOrder === 'little' ? 'LSB' : 'MSB'} ${facts.machineName}${arm}`;
      if (facts.linkage === 'dynamic') return `${head}, dynamic (interpreter ${visible(facts.interpreter ?? '')})`;
      if (facts.linkage === 'static') return `${head}, ${facts.pie ? 'static-pie' : 'static'}`;
      return head;
    }
    case 'script':
      return `script, #!${visible(facts.interpreter)}${facts.argument !== undefined ? ` ${visible(facts.argument)}` : ''}${facts.crlf ? ' (CRLF line end)' : ''}`;
    case 'pe':
      return `PE ${facts.machineName} (Windows)`;
    case 'malformed':
      return `malformed ${facts.claimed === 'elf' ? 'ELF' : facts.claimed === 'pe' ? 'PE' : '#! script'}: ${facts.reason}`;
    case 'unknown':
      return `not an executable format (${facts.reason})`;
  }
}
