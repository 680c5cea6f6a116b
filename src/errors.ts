/**
 * One catalogue of error codes for the whole library. Every failure a caller can see is an ArchfitError with a
 * stable `code`; the message is one line that quotes the offending input and never holds a credential.
 */

/** What kind of failure a code is: the CLI maps these to exit codes 2, 1 and 3. */
export type ErrorKind = 'invalid-input' | 'answer-no' | 'failure';

const CODES = {
  // invalid input (exit 2)
  USAGE: 'invalid-input',
  INVALID_REFERENCE: 'invalid-input',
  INVALID_PLATFORM: 'invalid-input',
  INVALID_DIGEST: 'invalid-input',
  INVALID_ARGUMENT: 'invalid-input',
  INVALID_SPEC: 'invalid-input',
  UNKNOWN_TARGET: 'invalid-input',
  // the answer is "no" (exit 1)
  NO_MATCHING_PLATFORM: 'answer-no',
  DOES_NOT_FIT: 'answer-no',
  // could not find out (exit 3)
  MANIFEST_UNKNOWN: 'failure',
  NAME_UNKNOWN: 'failure',
  BLOB_UNKNOWN: 'failure',
  UNAUTHORIZED: 'failure',
  DENIED: 'failure',
  TOO_MANY_REQUESTS: 'failure',
  DIGEST_MISMATCH: 'failure',
  SIZE_MISMATCH: 'failure',
  SIZE_LIMIT: 'failure',
  MANIFEST_INVALID: 'failure',
  UNSUPPORTED_MEDIA_TYPE: 'failure',
  REGISTRY_ERROR: 'failure',
  NETWORK_ERROR: 'failure',
  TLS_ERROR: 'failure',
  INSECURE_REGISTRY: 'failure',
  CREDENTIAL_HELPER: 'failure',
  ECR_ERROR: 'failure',
  LAYOUT_INVALID: 'failure',
  ARCHIVE_INVALID: 'failure',
  LAYER_INVALID: 'failure',
  NOT_FOUND: 'failure',
  IO_ERROR: 'failure',
  ABORTED: 'failure',
  INTERNAL: 'failure',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof CODES;

export const ERROR_CODES: readonly ErrorCode[] = Object.keys(CODES) as ErrorCode[];

export function errorKind(code: ErrorCode): ErrorKind {
  return CODES[code];
}

export interface ArchfitErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class ArchfitError extends Error {
  override readonly name = 'ArchfitError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ArchfitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get kind(): ErrorKind {
    return errorKind(this.code);
  }
}

export function isArchfitError(value: unknown, code?: ErrorCode): value is ArchfitError {
  return value instanceof ArchfitError && (code === undefined || value.code === code);
}

/** Quote user input for a message: JSON string form, shortened so one bad input cannot flood a terminal. */
export function quote(input: unknown, max = 200): string {
  const text = typeof input === 'string' ? input : safeString(input);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/** String(value), except that a hostile object (JSON `{"toString": 0}`) cannot make it throw. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The error for an aborted operation: the signal's own reason when it is an ArchfitError, else ABORTED. */
export function abortedError(signal: AbortSignal | undefined, what: string): ArchfitError {
  const reason: unknown = signal?.reason;
  if (reason instanceof ArchfitError) return reason;
  return new ArchfitError('ABORTED', `${what}: aborted`, { cause: reason });
}

/** Throws abortedError() when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(signal, what);
}
