// Executable formats, bytes in, facts out (no I/O): ELF headers (machine → OCI architecture, static or dynamic and
// the loader), `#!` lines as the kernel parses them, and the machine of Windows PE files.
export { elfBytesNeeded, hasElfMagic, MAX_PROGRAM_HEADER_BYTES, readElf } from './elf.js';
export { describeBinary, headBytesNeeded, identifyBinary, MAX_HEAD_BYTES, MIN_HEAD_BYTES } from './identify.js';
export { elfMachine, peMachine } from './machines.js';
export { hasMzMagic, readPe } from './pe.js';
export { BINPRM_BUF_SIZE, hasShebang, parseShebang } from './shebang.js';
export type {
  BinaryFacts,
  ByteOrder,
  ElfArmInfo,
  ElfClass,
  ElfFacts,
  IdentifyOptions,
  MalformedFacts,
  PeFacts,
  ScriptFacts,
  UnknownFacts,
} from './types.js';
