// When and how long to wait before repeating a request: exponential backoff with jitter on 408/429/5xx and on
// connection resets and timeouts, Retry-After honoured up to a cap, and a budget of attempts and total waiting so a
// quota 429 or a dead registry fails in bounded time with the registry's own message.
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts: number;
  /** The first backoff, before jitter. Default 250 ms; doubles each retry. */
  baseDelayMs: number;
  /** Cap on one backoff. Default 8 s. */
  maxDelayMs: number;
  /** Cap on a Retry-After the client will wait; a longer one ends the retries at once. Default 30 s. */
  maxRetryAfterMs: number;
  /** Cap on the waiting of one request or operation, all retries together. Default 60 s. */
  maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
  maxTotalWaitMs: 60_000,
});

/** Statuses worth repeating a request for: the request may work a moment later. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** The time source and the waiting; injectable so tests do not wait for real. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (ms <= 0) {
      signal?.throwIfAborted();
      return;
    }
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
};

/** Parses Retry-After: delay-seconds or an HTTP-date; milliseconds from `now`, or undefined when unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  if (/^[0-9]{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Backoff before retry number `retry` (1-based): base·2^(retry-1), capped, with "equal jitter" (half fixed). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exp / 2 + (exp / 2) * Math.min(1, Math.max(0, random())));
}

/** Error codes (Node, undici) of failures worth a retry: the connection broke or timed out, not "refused". */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** The codes along an error's cause chain (undici wraps socket errors). */
export function errorCodes(error: unknown): string[] {
  const out: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

export function isRetryableNetworkError(error: unknown): boolean {
  return errorCodes(error).some((c) => RETRYABLE_NETWORK_CODES.has(c));
}

/** TLS failures: certificate problems and protocol mismatches (an HTTPS client talking to an HTTP server). */
export function isTlsError(error: unknown): boolean {
  return errorCodes(error).some(
    (c) =>
      c.startsWith('ERR_SSL_') ||
      c.startsWith('ERR_TLS_') ||
      c === 'EPROTO' ||
      c.includes('CERT') ||
      c.includes('SELF_SIGNED') ||
      c.startsWith('UNABLE_TO_'),
  );
}

/**
 * Certificate failures: the server speaks TLS but is not trusted. Unlike a protocol mismatch, falling back to plain
 * HTTP cannot help, so the error is reported as it is.
 */
export function isCertificateError(error: unknown): boolean {
  return errorCodes(error).some(
    (c) =>
      c.includes('CERT') ||
      c.includes('SELF_SIGNED') ||
      c.startsWith('UNABLE_TO_') ||
      c === 'ERR_TLS_CERT_ALTNAME_INVALID',
  );
}

/** Tracks one request's (or operation's) retries against the policy. */
export class RetryBudget {
  private attempt = 1;
  private waited = 0;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  /**
   * The wait before the next attempt, or undefined when the budget is spent (or Retry-After asks for longer than
   * the client will wait). Counts the attempt.
   */
  next(retryAfterMs?: number): number | undefined {
    if (this.attempt >= this.policy.maxAttempts) return undefined;
    let wait: number;
    if (retryAfterMs !== undefined) {
      if (retryAfterMs > this.policy.maxRetryAfterMs) return undefined;
      wait = retryAfterMs;
    } else {
      wait = backoffDelay(this.policy, this.attempt, this.random);
    }
    if (this.waited + wait > this.policy.maxTotalWaitMs) return undefined;
    this.waited += wait;
    this.attempt++;
    return wait;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.clock.sleep(ms, signal);
  }
}
