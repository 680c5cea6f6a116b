// The ELF header and program headers, read with the checks the kernel's ELF loader makes (fs/binfmt_elf.c), so
// "malformed" here means "execve would fail". Every offset is checked against the bytes given before it is read;
// 64-bit offsets are read as BigInt so a huge e_phoff can neither overflow nor lose precision.
import { elfMachine } from './machines.js';
import type { ByteOrder, ElfArmInfo, ElfClass, ElfFacts, IdentifyOptions, MalformedFacts } from './types.js';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

const ET_NAMES: Record<number, string> = {
  0: 'ELF file of no type (ET_NONE)',
  1: 'relocatable object (ET_REL)',
  4: 'core dump (ET_CORE)',
};
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_INTERP = 3;
/** The kernel reads at most 64 KiB of program headers (and no more than a page on most machines). */
export const MAX_PROGRAM_HEADER_BYTES = 65536;
/** The kernel refuses a PT_INTERP longer than PATH_MAX or shorter than 2 bytes. */
const PATH_MAX = 4096;

const EF_ARM_EABIMASK_SHIFT = 24;
const EF_ARM_ABI_FLOAT_SOFT = 0x200;
const EF_ARM_ABI_FLOAT_HARD = 0x400;

export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

interface Reader {
  u16(offset: number): number;
  u32(offset: number): number;
  /** A 32- or 64-bit word (by class) as a BigInt. */
  word(offset: number): bigint;
}

function reader(bytes: Uint8Array, elfClass: ElfClass, order: ByteOrder): Reader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = order === 'little';
  return {
    u16: (o) => view.getUint16(o, le),
    u32: (o) => view.getUint32(o, le),
    word: (o) => (elfClass === 64 ? view.getBigUint64(o, le) : BigInt(view.getUint32(o, le))),
  };
}

/** Header field offsets per class. */
const LAYOUT = {
  32: { header: 52, phoff: 28, flags: 36, phentsize: 42, phnum: 44, ph: 32, phOffset: 4, phFilesz: 16 },
  64: { header: 64, phoff: 32, flags: 48, phentsize: 54, phnum: 56, ph: 56, phOffset: 8, phFilesz: 32 },
} as const;

/** How far into the file the headers of an ELF reach, as far as `bytes` tells (for reading just enough of a file). */
export function elfBytesNeeded(bytes: Uint8Array): number {
  if (bytes.length < 6) return 64;
  const elfClass = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : undefined;
  const order = bytes[5] === 1 ? 'little' : bytes[5] === 2 ? 'big' : undefined;
  if (!elfClass || !order) return bytes.length;
  const l = LAYOUT[elfClass];
  if (bytes.length < l.header) return l.header;
  const r = reader(bytes, elfClass, order);
  const phentsize = r.u16(l.phentsize);
  const phnum = r.u16(l.phnum);
  const phoff = r.word(l.phoff);
  if (phentsize !== l.ph || phnum === 0 || phnum * phentsize > MAX_PROGRAM_HEADER_BYTES) return l.header;
  const phEnd = phoff + BigInt(phnum * phentsize);
  if (phEnd > BigInt(Number.MAX_SAFE_INTEGER)) return l.header;
  if (phEnd > BigInt(bytes.length)) return Number(phEnd);
  let needed = Number(phEnd);
  for (let i = 0; i < phnum; i++) {
    const p = Number(phoff) + i * phentsize;
    if (r.u32(p) !== PT_INTERP) continue;
    const end = r.word(p + l.phOffset) + r.word(p + l.phFilesz);
    if (end <= BigInt(Number.MAX_SAFE_INTEGER) && Number(end) > needed) needed = Number(end);
    break;
  }
  return needed;
}

/**
 * Reads an ELF file's header and program headers. Never throws: anything the kernel would refuse (a truncated
 * header, a bad class or byte order, an e_phentsize other than the native one, no or too many program headers,
 * program headers beyond the file, a PT_INTERP that is too long, too short or not NUL-terminated, a type other than
 * executable or shared object) comes back as `malformed`, with what could be read.
 */
export function readElf(bytes: Uint8Array, options: IdentifyOptions = {}): ElfFacts | MalformedFacts {
  const malformed = (reason: string, known: Partial<MalformedFacts> = {}): MalformedFacts => ({
    format: 'malformed',
    claimed: 'elf',
    reason,
    ...known,
  });
  const size = options.fileSize !== undefined && options.fileSize > bytes.length ? options.fileSize : bytes.length;
  const beyond = (what: string, end: bigint) =>
    `truncated: ${what} ${end > BigInt(Number.MAX_SAFE_INTEGER) ? 'would end beyond any file' : `end at byte ${end}`}, but the file has ${size} bytes`;

  if (!hasElfMagic(bytes)) return malformed('no ELF magic');
  if (bytes.length < 16)
    return malformed(`truncated: ${bytes.length} bytes, shorter than the 16-byte ELF identification`);
  const classByte = bytes[4];
  const dataByte = bytes[5];
  if (classByte !== 1 && classByte !== 2) return malformed(`invalid ELF class byte (EI_CLASS = ${classByte})`);
  const elfClass: ElfClass = classByte === 1 ? 32 : 64;
  if (dataByte !== 1 && dataByte !== 2) {
    return malformed(`invalid ELF byte order (EI_DATA = ${dataByte})`, { elfClass });
  }
  const byteOrder: ByteOrder = dataByte === 1 ? 'little' : 'big';
  const l = LAYOUT[elfClass];
  if (bytes.length < l.header) {
    return malformed(`truncated: ${bytes.length} bytes, shorter than the ${l.header}-byte ELF${elfClass} header`, {
      elfClass,
      byteOrder,
    });
  }
  const r = reader(bytes, elfClass, byteOrder);
  const typeCode = r.u16(16);
  const machine = r.u16(18);
  const flags = r.u32(l.flags);
  const m = elfMachine(machine, elfClass, byteOrder, flags);
  const known: Partial<MalformedFacts> = {
    elfClass,
    byteOrder,
    machine,
    machineName: m.name,
    ...(m.architecture ? { architecture: m.architecture } : {}),
  };

  if (typeCode !== ET_EXEC && typeCode !== ET_DYN) {
    return malformed(`${ET_NAMES[typeCode] ?? `ELF of unknown type ${typeCode}`}, not a program`, known);
  }
  const phentsize = r.u16(l.phentsize);
  const phnum = r.u16(l.phnum);
  const phoff = r.word(l.phoff);
  if (phentsize !== l.ph) {
    return malformed(`program header entry size ${phentsize}, expected ${l.ph} for ELF${elfClass}`, known);
  }
  if (phnum === 0) return malformed('no program headers', known);
  if (phnum * phentsize > MAX_PROGRAM_HEADER_BYTES) {
    return malformed(`${phnum} program headers: more than the kernel reads (${MAX_PROGRAM_HEADER_BYTES} bytes)`, known);
  }
  const phEnd = phoff + BigInt(phnum * phentsize);

  const facts: ElfFacts = {
    format: 'elf',
    elfClass,
    byteOrder,
    osAbi: bytes[7] ?? 0,
    type: typeCode === ET_EXEC ? 'executable' : 'shared',
    machine,
    machineName: m.name,
    ...(m.architecture ? { architecture: m.architecture } : {}),
    flags,
    ...(machine === 40 ? { arm: armInfo(flags) } : {}),
    linkage: 'unknown',
    pie: typeCode === ET_DYN,
  };

  if (phEnd > BigInt(bytes.length)) {
    if (phEnd <= BigInt(size)) return facts; // beyond the head we were given, within the file
    return malformed(beyond('the program headers', phEnd), known);
  }
  for (let i = 0; i < phnum; i++) {
    const p = Number(phoff) + i * phentsize;
    if (r.u32(p) !== PT_INTERP) continue;
    // The kernel uses the first PT_INTERP.
    const offset = r.word(p + l.phOffset);
    const filesz = r.word(p + l.phFilesz);
    if (filesz > BigInt(PATH_MAX) || filesz < 2n) {
      return malformed(`PT_INTERP of ${filesz} bytes (the kernel accepts 2 to ${PATH_MAX})`, known);
    }
    const end = offset + filesz;
    if (end > BigInt(bytes.length)) {
      if (end <= BigInt(size)) return facts;
      return malformed(beyond('the PT_INTERP path', end), known);
    }
    const raw = bytes.subarray(Number(offset), Number(end));
    if (raw[raw.length - 1] !== 0) return malformed('PT_INTERP path is not NUL-terminated', known);
    const nul = raw.indexOf(0);
    facts.interpreter = new TextDecoder().decode(raw.subarray(0, nul));
    facts.linkage = 'dynamic';
    return facts;
  }
  facts.linkage = 'static';
  return facts;
}

function armInfo(flags: number): ElfArmInfo {
  const info: ElfArmInfo = { eabiVersion: flags >>> EF_ARM_EABIMASK_SHIFT };
  if (info.eabiVersion >= 5) {
    if (flags & EF_ARM_ABI_FLOAT_HARD) info.float = 'hard';
    else if (flags & EF_ARM_ABI_FLOAT_SOFT) info.float = 'soft';
  }
  return info;
}
