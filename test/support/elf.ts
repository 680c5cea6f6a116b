// A tiny ELF header reader for the harness's own sanity checks on fixture binaries (independent from src/binary).
import { readFileSync } from 'node:fs';

export interface ElfFacts {
  elfClass: 32 | 64;
  endian: 'little' | 'big';
  /** e_machine: 62 x86-64, 183 aarch64, 40 arm, 3 i386, 21 ppc64, 22 s390. */
  machine: number;
  /** PT_INTERP contents (the dynamic loader), if any. */
  interpreter?: string;
}

export const ELF_MACHINE = { x86_64: 62, aarch64: 183, arm: 40, i386: 3, ppc64: 21, s390: 22 } as const;

export function readElfFacts(bytes: Buffer): ElfFacts | undefined {
  if (bytes.length < 52 || bytes.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = bytes[4] === 2;
  const le = bytes[5] === 1;
  const u16 = (o: number) => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? bytes.readBigUInt64LE(o) : bytes.readBigUInt64BE(o));
  const facts: ElfFacts = { elfClass: is64 ? 64 : 32, endian: le ? 'little' : 'big', machine: u16(18) };
  const phoff = is64 ? u64(32) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + phentsize > bytes.length) break;
    if (u32(p) !== 3) continue; // PT_INTERP
    const offset = is64 ? u64(p + 8) : u32(p + 4);
    const size = is64 ? u64(p + 32) : u32(p + 16);
    facts.interpreter = bytes
      .subarray(offset, offset + size)
      .toString('latin1')
      .replace(/\0+$/, '');
  }
  return facts;
}

export function readElfFactsOfFile(file: string): ElfFacts | undefined {
  return readElfFacts(readFileSync(file));
}
