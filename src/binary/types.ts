// What the first bytes of a file say about how the kernel would run it, as plain data.

/** 32- or 64-bit (EI_CLASS). */
export type ElfClass = 32 | 64;
/** EI_DATA: LSB (little-endian) or MSB (big-endian). */
export type ByteOrder = 'little' | 'big';

/** 32-bit ARM details that the ELF header holds (the ARM architecture level, v5/v6/v7, is not among them). */
export interface ElfArmInfo {
  /** EABI version from e_flags (5 on every current toolchain; 0 for the old ABI). */
  eabiVersion: number;
  /** Float ABI flag, when set: `hard` (armhf) or `soft` (armel). */
  float?: 'hard' | 'soft';
}

/** An ELF file the kernel's ELF loader would accept, as far as its headers go. */
export interface ElfFacts {
  format: 'elf';
  elfClass: ElfClass;
  byteOrder: ByteOrder;
  /** EI_OSABI (0 System V, 3 Linux, 9 FreeBSD …); Linux ignores it. */
  osAbi: number;
  /** e_type: `executable` (ET_EXEC) or `shared` (ET_DYN: PIE programs and shared objects). */
  type: 'executable' | 'shared';
  /** e_machine. */
  machine: number;
  /** A short human name of the machine, as `file(1)` says it: `x86-64`, `aarch64`, `ARM` … */
  machineName: string;
  /** The OCI/Go architecture the machine, class and byte order mean (`amd64`, `arm64`, `ppc64le` …), when known. */
  architecture?: string;
  /** e_flags. */
  flags: number;
  arm?: ElfArmInfo;
  /**
   * `dynamic` when a PT_INTERP program header names a loader; `static` when none does; `unknown` when the program
   * headers lie beyond the bytes given (only possible when `fileSize` said the file is longer).
   */
  linkage: 'static' | 'dynamic' | 'unknown';
  /** Position-independent (ET_DYN). */
  pie: boolean;
  /** The PT_INTERP path (the dynamic loader), up to its NUL. */
  interpreter?: string;
}

/** A `#!` script, parsed as the kernel's binfmt_script does. */
export interface ScriptFacts {
  format: 'script';
  /** The interpreter path exactly as the kernel will open it (a trailing `\r` stays part of it). */
  interpreter: string;
  /** The one optional argument: the rest of the line after the interpreter, trailing spaces and tabs removed. */
  argument?: string;
  /** The line ends in `\r` (a CRLF file), so the interpreter (or its argument) has a `\r` at its end. */
  crlf: boolean;
}

/** A Windows PE executable (an `MZ` header pointing at a `PE\0\0` header). */
export interface PeFacts {
  format: 'pe';
  /** IMAGE_FILE_HEADER.Machine. */
  machine: number;
  machineName: string;
  /** The OCI/Go architecture, when known. */
  architecture?: string;
}

/**
 * Something that claims a format (ELF magic, `#!`, `MZ`) but that the kernel (or Windows) would refuse: truncated,
 * inconsistent or out-of-range headers. What could be read before the problem is kept.
 */
export interface MalformedFacts {
  format: 'malformed';
  /** The format the magic bytes claim. */
  claimed: 'elf' | 'script' | 'pe';
  /** One line, in plain words. */
  reason: string;
  elfClass?: ElfClass;
  byteOrder?: ByteOrder;
  machine?: number;
  machineName?: string;
  architecture?: string;
}

/** Neither ELF, nor `#!`, nor PE: execve fails with ENOEXEC ("exec format error"). */
export interface UnknownFacts {
  format: 'unknown';
  reason: string;
}

export type BinaryFacts = ElfFacts | ScriptFacts | PeFacts | MalformedFacts | UnknownFacts;

export interface IdentifyOptions {
  /**
   * The size of the whole file when `bytes` is only its head. Headers that lie beyond `bytes` but within the file
   * then make the answer incomplete (`linkage: 'unknown'`) rather than malformed.
   */
  fileSize?: number;
}
