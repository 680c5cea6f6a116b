// Registry failures as ArchfitErrors: one line holding the method, the URL (credentials stripped), the code and the
// registry's own message from its JSON `errors` body, e.g.
//   GET https://127.0.0.1:5000/v2/app/manifests/v9: MANIFEST_UNKNOWN: manifest unknown
import { ArchfitError, type ErrorCode } from '../errors.js';
import { oneLine, type Redactor, redactUrl } from './redact.js';
import { errorCodes, isRetryableNetworkError, isTlsError, RETRYABLE_STATUSES } from './retry.js';

/** What a request was about: decides what a bare 404 means. */
export type ResourceKind = 'manifest' | 'blob' | 'upload' | 'tags' | 'referrers' | 'token' | 'ping' | 'other';

/** One entry of a registry's `{"errors":[{"code","message","detail"}]}` body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
}

/** Error bodies are read up to this many bytes; the rest is dropped. */
export const MAX_ERROR_BODY = 64 * 1024;

const REGISTRY_CODES: Record<string, ErrorCode> = {
  MANIFEST_UNKNOWN: 'MANIFEST_UNKNOWN',
  NAME_UNKNOWN: 'NAME_UNKNOWN',
  BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  MANIFEST_BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'DENIED',
  TOOMANYREQUESTS: 'TOO_MANY_REQUESTS',
  DIGEST_INVALID: 'DIGEST_MISMATCH',
  SIZE_INVALID: 'SIZE_MISMATCH',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  MANIFEST_UNVERIFIED: 'MANIFEST_INVALID',
  NAME_INVALID: 'INVALID_REFERENCE',
  TAG_INVALID: 'INVALID_REFERENCE',
};

/** Reads the `errors` array of a registry error body; tolerant of anything else (HTML from a proxy, garbage). */
export function parseRegistryErrors(body: Uint8Array | undefined): RegistryErrorEntry[] {
  if (body === undefined || body.byteLength === 0) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const errors = (doc as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) {
    // Token servers answer OAuth2-style: {"error":"invalid_grant","error_description":"…"} or {"details":"…"}.
    const d = doc as Record<string, unknown>;
    const message = d['error_description'] ?? d['details'] ?? d['message'];
    if (typeof d['error'] === 'string' || typeof message === 'string') {
      return [
        {
          code: typeof d['error'] === 'string' ? oneLine(d['error'], 60) : '',
          message: typeof message === 'string' ? oneLine(message) : '',
        },
      ];
    }
    return [];
  }
  const out: RegistryErrorEntry[] = [];
  for (const e of errors.slice(0, 8)) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    out.push({
      code: typeof code === 'string' ? oneLine(code, 60) : '',
      message: typeof message === 'string' ? oneLine(message) : '',
    });
  }
  return out;
}

function codeForStatus(status: number, kind: ResourceKind): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status === 404) {
    if (kind === 'manifest') return 'MANIFEST_UNKNOWN';
    if (kind === 'blob') return 'BLOB_UNKNOWN';
    if (kind === 'tags' || kind === 'referrers') return 'NAME_UNKNOWN';
    return 'NOT_FOUND';
  }
  return 'REGISTRY_ERROR';
}

export interface StatusErrorInput {
  method: string;
  url: URL | string;
  status: number;
  statusText?: string;
  body?: Uint8Array;
  kind: ResourceKind;
  redactor?: Redactor;
  /** Added at the end, after the registry's words: "(no credentials for 127.0.0.1:5000)". */
  hint?: string;
}

/** The error for a response whose status says the request failed. */
export function statusError(input: StatusErrorInput): ArchfitError {
  const entries = parseRegistryErrors(input.body);
  let code: ErrorCode | undefined;
  for (const e of entries) {
    code = REGISTRY_CODES[e.code.toUpperCase()];
    if (code !== undefined) break;
  }
  // A 401/403/429 status wins over a body that names something else; a 404 body may be more precise.
  if (code === undefined || [401, 403, 429].includes(input.status)) code = codeForStatus(input.status, input.kind);
  if (input.status === 404 && entries.some((e) => e.code.toUpperCase() === 'NAME_UNKNOWN')) code = 'NAME_UNKNOWN';
  const words = entries
    .filter((e) => e.code !== '' || e.message !== '')
    .map((e) => (e.code && e.message ? `${e.code}: ${e.message}` : e.code || e.message));
  const statusLine = `HTTP ${input.status}${input.statusText ? ` ${oneLine(input.statusText, 60)}` : ''}`;
  let detail = words.length > 0 ? words.join('; ') : `${code}: ${statusLine}`;
  if (words.length > 0 && !words[0]!.toUpperCase().startsWith(`${code}:`)) detail = `${code}: ${detail}`;
  let message = `${input.method} ${redactUrl(input.url)}: ${detail}`;
  if (input.hint) message += ` ${input.hint}`;
  if (input.redactor) message = input.redactor.text(message);
  return new ArchfitError(code, message, {
    details: {
      method: input.method,
      url: redactUrl(input.url),
      status: input.status,
      registryErrors: entries,
      retryable: RETRYABLE_STATUSES.has(input.status),
    },
  });
}

/** The error for a request that got no response (refused, reset, timed out, TLS failure). */
export function transportError(method: string, url: URL | string, cause: unknown, redactor?: Redactor): ArchfitError {
  const tls = isTlsError(cause);
  const code: ErrorCode = tls ? 'TLS_ERROR' : 'NETWORK_ERROR';
  const codes = errorCodes(cause);
  let text = cause instanceof Error ? cause.message : String(cause);
  // OpenSSL's "80EC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…" → the reason.
  const ssl = /:SSL routines:[^:]*:([^:]+)/.exec(text);
  if (ssl) text = ssl[1]!;
  const why = oneLine(text || codes[0] || 'connection failed', 200);
  const suffix = codes.length > 0 && !why.includes(codes[0]!) ? ` (${codes[0]})` : '';
  let message = `${method} ${redactUrl(url)}: ${code}: ${why}${suffix}`;
  if (redactor) message = redactor.text(message);
  return new ArchfitError(code, message, {
    cause,
    details: { method, url: redactUrl(url), errorCodes: codes, retryable: isRetryableNetworkError(cause) },
  });
}

export function abortedError(method: string, url: URL | string, reason: unknown): ArchfitError {
  return new ArchfitError('ABORTED', `${method} ${redactUrl(url)}: ABORTED: the operation was cancelled`, {
    cause: reason,
  });
}

/** Was this error marked as worth repeating (a retryable status or a broken connection)? */
export function isRetryable(error: unknown): boolean {
  return error instanceof ArchfitError && error.details['retryable'] === true;
}
