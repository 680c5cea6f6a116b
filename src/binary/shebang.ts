// `#!` lines, parsed the way Linux's binfmt_script does (fs/binfmt_script.c, since 5.1): the kernel looks at the
// first BINPRM_BUF_SIZE bytes only; spaces and tabs after `#!` are skipped; the interpreter runs up to the next
// space, tab or NUL; the rest of the line (trimmed of trailing spaces and tabs) is ONE argument, whatever spaces it
// holds. Nothing else is trimmed: the `\r` of a CRLF line stays in the interpreter or the argument.
import type { MalformedFacts, ScriptFacts } from './types.js';

/** The kernel's buffer for the head of a file (BINPRM_BUF_SIZE; 128 before Linux 5.1). */
export const BINPRM_BUF_SIZE = 256;

const isSpaceTab = (c: number | undefined) => c === 0x20 || c === 0x09;

function nextNonSpaceTab(buf: Uint8Array, first: number, last: number): number {
  for (; first <= last; first++) if (!isSpaceTab(buf[first])) return first;
  return -1;
}

function nextTerminator(buf: Uint8Array, first: number, last: number): number {
  for (; first <= last; first++) if (isSpaceTab(buf[first]) || buf[first] === 0) return first;
  return -1;
}

/** strnchr: the first `c` before a NUL, within `count` bytes. */
function strnchr(buf: Uint8Array, count: number, c: number): number {
  for (let i = 0; i < count; i++) {
    if (buf[i] === 0) return -1;
    if (buf[i] === c) return i;
  }
  return -1;
}

function cString(buf: Uint8Array, start: number): string {
  const end = buf.indexOf(0, start);
  return new TextDecoder().decode(buf.subarray(start, end === -1 ? buf.length : end));
}

export function hasShebang(bytes: Uint8Array): boolean {
  return bytes[0] === 0x23 && bytes[1] === 0x21;
}

/**
 * Parses the `#!` line at the start of `bytes` as the kernel would. Returns undefined when `bytes` does not start
 * with `#!`, and `malformed` where the kernel returns ENOEXEC: no interpreter on the line, or an interpreter path
 * that does not end within the first 256 bytes (the kernel will not run a truncated path).
 */
export function parseShebang(bytes: Uint8Array): ScriptFacts | MalformedFacts | undefined {
  if (!hasShebang(bytes)) return undefined;
  const malformed = (reason: string): MalformedFacts => ({ format: 'malformed', claimed: 'script', reason });
  // The kernel's buffer: the first 256 bytes, NUL-padded when the file is shorter.
  const buf = new Uint8Array(BINPRM_BUF_SIZE);
  buf.set(bytes.subarray(0, BINPRM_BUF_SIZE));
  const bufEnd = BINPRM_BUF_SIZE - 1;

  let iEnd = strnchr(buf, BINPRM_BUF_SIZE, 0x0a);
  if (iEnd === -1) {
    const first = nextNonSpaceTab(buf, 2, bufEnd);
    if (first === -1) return malformed('the #! line holds only spaces');
    if (nextTerminator(buf, first, bufEnd) === -1) {
      return malformed(`the #! interpreter path does not end within the first ${BINPRM_BUF_SIZE} bytes`);
    }
    iEnd = bufEnd;
  }
  while (isSpaceTab(buf[iEnd - 1])) iEnd--;
  const iName = nextNonSpaceTab(buf, 2, iEnd);
  if (iName === -1 || iName === iEnd) return malformed('no interpreter after #!');
  let iArg = -1;
  const iSep = nextTerminator(buf, iName, iEnd);
  if (iSep !== -1 && buf[iSep] !== 0) iArg = nextNonSpaceTab(buf, iSep, iEnd);
  buf[iEnd] = 0;
  if (iArg !== -1) buf[iSep] = 0;

  const interpreter = cString(buf, iName);
  const argument = iArg === -1 ? undefined : cString(buf, iArg);
  const crlf = interpreter.endsWith('\r') || (argument?.endsWith('\r') ?? false);
  return { format: 'script', interpreter, ...(argument !== undefined ? { argument } : {}), crlf };
}
