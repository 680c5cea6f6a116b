// e_machine and PE Machine values, with the OCI/Go architecture they mean. The ELF machine alone is not enough:
// class and byte order split EM_PPC64 into ppc64/ppc64le and EM_MIPS into four architectures; the ARM level
// (v5/v6/v7) cannot be told from the header at all.
import type { ByteOrder, ElfClass } from './types.js';

interface MachineFacts {
  name: string;
  architecture?: string;
}

type ArchOf = (elfClass: ElfClass, order: ByteOrder, flags: number) => string | undefined;

/** MIPS e_flags: EF_MIPS_ABI2 marks the n32 ABI (64-bit registers, 32-bit ELF). */
const EF_MIPS_ABI2 = 0x20;

const ELF_MACHINES = new Map<number, { name: string; arch: ArchOf }>([
  [2, { name: 'SPARC', arch: () => 'sparc' }],
  [3, { name: 'Intel 80386', arch: (c, o) => (c === 32 && o === 'little' ? '386' : undefined) }],
  [4, { name: 'Motorola 68000', arch: () => 'm68k' }],
  [
    8,
    {
      name: 'MIPS',
      arch: (c, o, flags) => {
        if (c === 64) return o === 'little' ? 'mips64le' : 'mips64';
        if (flags & EF_MIPS_ABI2) return o === 'little' ? 'mips64p32le' : 'mips64p32';
        return o === 'little' ? 'mipsle' : 'mips';
      },
    },
  ],
  [15, { name: 'PA-RISC', arch: () => 'hppa' }],
  [20, { name: 'PowerPC', arch: (c, o) => (c === 32 && o === 'big' ? 'ppc' : undefined) }],
  [21, { name: 'PowerPC64', arch: (c, o) => (c === 64 ? (o === 'little' ? 'ppc64le' : 'ppc64') : undefined) }],
  [22, { name: 'IBM S/390', arch: (c, o) => (o === 'big' ? (c === 64 ? 's390x' : 's390') : undefined) }],
  [40, { name: 'ARM', arch: (c, o) => (c === 32 ? (o === 'little' ? 'arm' : 'armbe') : undefined) }],
  [42, { name: 'SuperH', arch: () => 'sh4' }],
  [43, { name: 'SPARC V9', arch: (c) => (c === 64 ? 'sparc64' : undefined) }],
  [50, { name: 'IA-64', arch: () => 'ia64' }],
  [
    62,
    {
      name: 'x86-64',
      // A 32-bit x86-64 ELF is the x32 ABI, which Go once called amd64p32; few kernels enable it.
      arch: (c, o) => (o === 'little' ? (c === 64 ? 'amd64' : 'amd64p32') : undefined),
    },
  ],
  [183, { name: 'aarch64', arch: (c, o) => (c === 64 ? (o === 'little' ? 'arm64' : 'arm64be') : undefined) }],
  [243, { name: 'RISC-V', arch: (c) => (c === 64 ? 'riscv64' : 'riscv32') }],
  [258, { name: 'LoongArch', arch: (c) => (c === 64 ? 'loong64' : 'loong32') }],
]);

/** The human name and OCI architecture of an ELF e_machine, given the class, byte order and flags. */
export function elfMachine(machine: number, elfClass: ElfClass, order: ByteOrder, flags: number): MachineFacts {
  const known = ELF_MACHINES.get(machine);
  if (!known) return { name: `machine ${machine}` };
  const architecture = known.arch(elfClass, order, flags);
  return architecture === undefined ? { name: known.name } : { name: known.name, architecture };
}

const PE_MACHINES = new Map<number, MachineFacts>([
  [0x014c, { name: 'Intel 80386', architecture: '386' }],
  [0x8664, { name: 'x86-64', architecture: 'amd64' }],
  [0xaa64, { name: 'ARM64', architecture: 'arm64' }],
  [0x01c0, { name: 'ARM', architecture: 'arm' }],
  [0x01c4, { name: 'ARM Thumb-2', architecture: 'arm' }],
  [0x0200, { name: 'IA-64', architecture: 'ia64' }],
  [0x5064, { name: 'RISC-V 64', architecture: 'riscv64' }],
  [0x6264, { name: 'LoongArch64', architecture: 'loong64' }],
]);

export function peMachine(machine: number): MachineFacts {
  return PE_MACHINES.get(machine) ?? { name: `machine 0x${machine.toString(16).padStart(4, '0')}` };
}
