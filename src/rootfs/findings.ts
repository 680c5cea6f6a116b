// The findings of a deep check: stable codes, a severity, and one message in plain words that says what will happen
// when the container starts and, where it is clear, how to fix it.
import type { Digest } from '../digest/index.js';

/**
 * - `NO_ENTRYPOINT`: the config has neither Entrypoint nor Cmd (the runtime refuses to start: "no command specified").
 * - `ENTRYPOINT_MISSING`: argv[0] is not in the image (not on PATH, or the path does not exist, or a whiteout removed
 *   it): "no such file or directory" / "executable file not found in $PATH".
 * - `NOT_EXECUTABLE`: it exists but has no execute bit, or is a directory or a device: "permission denied".
 * - `BINARY_ARCH_MISMATCH`: an ELF (the program, its loader or its interpreter) for another machine than the
 *   platform checked: "exec format error".
 * - `BINARY_ARCH_COMPAT`: a warning: an ELF that runs on the platform only through a compatibility mode the host may
 *   lack (32-bit ARM on arm64: many arm64 CPUs have no AArch32).
 * - `INTERPRETER_MISSING`: the PT_INTERP loader of a dynamic ELF, the `#!` interpreter, or the program `env` is asked
 *   to run is not in the image: "no such file or directory" although the program is there.
 * - `INTERPRETER_INVALID`: the loader or interpreter is there but is not something the kernel can use (not an ELF,
 *   malformed, or interpreters nested too deep).
 * - `SHEBANG_CRLF`: the `#!` line ends in `\r\n`, so the kernel looks for `/bin/sh\r` (or passes `-e\r`).
 * - `SCRIPT_NO_SHEBANG`: neither an ELF nor a `#!` script (or an empty file): "exec format error". A warning only for a
 *   program run through `env`, whose execvp falls back to /bin/sh.
 * - `BINARY_MALFORMED`: it claims to be an ELF (or a `#!` script) but the kernel would refuse it: "exec format error".
 * - `BINARY_OS_MISMATCH`: a Windows PE program in a Linux image.
 * - `SYMLINK_LOOP`: more than 40 symbolic links on the way: "too many levels of symbolic links".
 * - `BROKEN_HARDLINK`: a hard link in a layer whose target is in no layer: the layer cannot even be unpacked.
 * - `DEEP_CHECK_UNSUPPORTED`: a warning: the deep check reads Linux images only (this one is for another OS).
 */
export type FindingCode =
  | 'NO_ENTRYPOINT'
  | 'ENTRYPOINT_MISSING'
  | 'NOT_EXECUTABLE'
  | 'BINARY_ARCH_MISMATCH'
  | 'BINARY_ARCH_COMPAT'
  | 'INTERPRETER_MISSING'
  | 'INTERPRETER_INVALID'
  | 'SHEBANG_CRLF'
  | 'SCRIPT_NO_SHEBANG'
  | 'BINARY_MALFORMED'
  | 'BINARY_OS_MISMATCH'
  | 'SYMLINK_LOOP'
  | 'BROKEN_HARDLINK'
  | 'DEEP_CHECK_UNSUPPORTED';

export const FINDING_CODES: readonly FindingCode[] = [
  'NO_ENTRYPOINT',
  'ENTRYPOINT_MISSING',
  'NOT_EXECUTABLE',
  'BINARY_ARCH_MISMATCH',
  'BINARY_ARCH_COMPAT',
  'INTERPRETER_MISSING',
  'INTERPRETER_INVALID',
  'SHEBANG_CRLF',
  'SCRIPT_NO_SHEBANG',
  'BINARY_MALFORMED',
  'BINARY_OS_MISMATCH',
  'SYMLINK_LOOP',
  'BROKEN_HARDLINK',
  'DEEP_CHECK_UNSUPPORTED',
];

export type FindingSeverity = 'error' | 'warning';

export interface EntrypointFinding {
  code: FindingCode;
  severity: FindingSeverity;
  /** One line in plain words, with the fix where it is obvious. */
  message: string;
  /** The path in the image the finding is about. */
  path?: string;
  /** The layer that put that path there. */
  layer?: Digest;
  /** Machine-readable facts behind the message (expected and found architecture, the interpreter asked for …). */
  detail?: Record<string, unknown>;
}
