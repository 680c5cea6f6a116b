// Windows PE executables, just enough to name the machine: the `MZ` DOS header's e_lfanew points at `PE\0\0`,
// followed by IMAGE_FILE_HEADER whose first field is the Machine.
import { peMachine } from './machines.js';
import type { MalformedFacts, PeFacts } from './types.js';

const E_LFANEW = 0x3c;
const DOS_HEADER = 0x40;
/** Signature (4) + IMAGE_FILE_HEADER (20). */
const PE_HEADERS = 24;

export function hasMzMagic(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x5a;
}

function u32le(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16)) +
    (bytes[offset + 3] ?? 0) * 0x1000000
  );
}

/** How many bytes of the file the PE headers need, as far as `bytes` tells. */
export function peBytesNeeded(bytes: Uint8Array): number {
  if (bytes.length < DOS_HEADER) return DOS_HEADER;
  return u32le(bytes, E_LFANEW) + PE_HEADERS;
}

export function readPe(bytes: Uint8Array): PeFacts | MalformedFacts {
  const malformed = (reason: string): MalformedFacts => ({ format: 'malformed', claimed: 'pe', reason });
  if (!hasMzMagic(bytes)) return malformed('no MZ magic');
  if (bytes.length < DOS_HEADER) return malformed(`truncated: ${bytes.length} bytes, shorter than the DOS header`);
  const lfanew = u32le(bytes, E_LFANEW);
  if (lfanew < DOS_HEADER) return malformed(`the PE header offset ${lfanew} points inside the DOS header`);
  if (lfanew + PE_HEADERS > bytes.length) {
    return malformed(`the PE header at offset ${lfanew} lies beyond the ${bytes.length} bytes read`);
  }
  if (bytes[lfanew] !== 0x50 || bytes[lfanew + 1] !== 0x45 || bytes[lfanew + 2] !== 0 || bytes[lfanew + 3] !== 0) {
    return malformed('an MZ header without a PE signature (an MS-DOS program)');
  }
  const machine = (bytes[lfanew + 4] ?? 0) | ((bytes[lfanew + 5] ?? 0) << 8);
  const m = peMachine(machine);
  return {
    format: 'pe',
    machine,
    machineName: m.name,
    ...(m.architecture ? { architecture: m.architecture } : {}),
  };
}
