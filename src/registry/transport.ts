// HTTP for the registry client: undici 7 (imported, never the global fetch), one keep-alive Agent per client with a
// per-origin connection cap and no pipelining, streaming bodies, an AbortSignal on every call, retries with backoff
// for requests that are safe to repeat, redirects followed by hand so credentials never follow them to another host,
// and a debug line and an `onRequest` event for every exchange (URLs redacted).
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
// undici's request helper and Agent from their own modules, not from its index, which loads all of undici (fetch,
// WebSocket, cookies, caches, mocks): tens of milliseconds of every CLI run. Typed in undici-modules.d.ts.
import undiciRequest from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import { ArchfitError, isArchfitError, quote } from '../errors.js';
import { VERSION } from '../version.js';
import { abortedError, transportError } from './errors.js';
import { type Redactor, redactUrl } from './redact.js';
import {
  type Clock,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  RetryBudget,
  type RetryPolicy,
  systemClock,
} from './retry.js';
import { header, resolveLocation, sameOrigin, type UrlPolicy } from './url.js';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** One HTTP exchange, as reported to `onRequest` (the URL redacted). */
export interface RequestEvent {
  method: string;
  url: string;
  /** The response status; undefined when the request failed without one. */
  status?: number;
  /** The error code when the request failed without a response (NETWORK_ERROR, TLS_ERROR, ABORTED). */
  error?: string;
  /** 1 for the first try of a request, 2… for its retries. */
  attempt: number;
  durationMs: number;
}

export interface TransportOptions {
  /** An undici Dispatcher to use instead of the client's own Agent (tests: MockAgent, a proxy). Not closed by us. */
  dispatcher?: Dispatcher;
  /** A PEM file of extra CAs to trust, on top of the default ones. */
  caFile?: string;
  /** Default `archfit/<version>`. */
  userAgent?: string;
  /** Connections per origin. Default 8. */
  connections?: number;
  connectTimeoutMs?: number;
  /** Time to wait for response headers. Default 60 s. */
  headersTimeoutMs?: number;
  /** Longest silence between two chunks of a body. Default 60 s. */
  bodyTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  /** Random numbers in [0, 1) for jitter. */
  random?: () => number;
  /** Debug lines (every request, retry, token fetch); credentials are scrubbed before they get here. */
  log?: (line: string) => void;
  /** Called after every HTTP exchange. */
  onRequest?: (event: RequestEvent) => void;
}

export type RequestBody = Uint8Array | string | Readable;

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  signal?: AbortSignal | undefined;
  /** Repeat on 408/429/5xx and broken connections. Default: GET and HEAD; never with a stream body. */
  retry?: boolean;
  /** Follow 301/302/303/307/308. Default: GET and HEAD. */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered (after redirects): what Location and Link are resolved against. */
  url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Headers that carry credentials: dropped when a redirect leaves the origin they were meant for. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export function isReplayable(body: RequestBody | undefined): boolean {
  return body === undefined || typeof body === 'string' || body instanceof Uint8Array;
}

export interface TransportContext {
  redactor: Redactor;
  urlPolicy: UrlPolicy;
}

export class Transport {
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly random: () => number;
  private readonly options: TransportOptions;
  private readonly context: TransportContext;
  private agent: Promise<Dispatcher> | undefined;
  private ownAgent: Agent | undefined;
  private closed = false;

  constructor(options: TransportOptions, context: TransportContext) {
    this.options = options;
    this.context = context;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  get redactor(): Redactor {
    return this.context.redactor;
  }

  get urlPolicy(): UrlPolicy {
    return this.context.urlPolicy;
  }

  /** A debug line, scrubbed of credentials. */
  log(line: string): void {
    this.options.log?.(this.context.redactor.text(line));
  }

  budget(): RetryBudget {
    return new RetryBudget(this.policy, this.clock, this.random);
  }

  private dispatcher(): Promise<Dispatcher> {
    if (this.closed) return Promise.reject(new ArchfitError('INTERNAL', 'the registry client is closed'));
    if (this.options.dispatcher) return Promise.resolve(this.options.dispatcher);
    this.agent ??= this.createAgent();
    return this.agent;
  }

  private async createAgent(): Promise<Dispatcher> {
    let ca: string[] | undefined;
    if (this.options.caFile !== undefined) ca = [...defaultCaCertificates(), await readCaFile(this.options.caFile)];
    const agent = new Agent({
      connections: this.options.connections ?? 8,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: this.options.headersTimeoutMs ?? 60_000,
      bodyTimeout: this.options.bodyTimeoutMs ?? 60_000,
      connect: { timeout: this.options.connectTimeoutMs ?? 30_000, ...(ca ? { ca } : {}) },
    });
    this.ownAgent = agent;
    return agent;
  }

  async close(): Promise<void> {
    this.closed = true;
    const agent = this.ownAgent;
    this.ownAgent = undefined;
    this.agent = undefined;
    if (agent) await agent.close().catch(() => undefined);
  }

  /**
   * Does `host` ("name:port") answer a TLS handshake? A probe for hosts where plain HTTP is allowed, made with no CA
   * certificates and nothing sent after the handshake: `false` (the port speaks something else, as a plain-HTTP
   * registry does) spares building the store of root certificates, which costs tens of milliseconds of CPU at the
   * first HTTPS connection of a process, for a registry that will never use it. `true` when the handshake completes,
   * whoever signed the certificate (the real request verifies it); `undefined` when the probe cannot tell (no
   * connection, a timeout, or requests that go through an injected dispatcher, which a direct socket would bypass).
   */
  async speaksTls(host: string, signal: AbortSignal | undefined): Promise<boolean | undefined> {
    if (this.options.dispatcher || signal?.aborted) return undefined;
    const url = new URL(`https://${host}`);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const timeoutMs = this.options.connectTimeoutMs ?? 30_000;
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: hostname,
        port: Number(url.port || 443),
        ...(isIP(hostname) ? {} : { servername: hostname }),
        // No CA at all: the handshake alone is the question, so the process-wide root store is not built for it.
        ca: [],
        rejectUnauthorized: false,
      });
      const done = (answer: boolean | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        socket.destroy();
        resolve(answer);
      };
      const abort = () => done(undefined);
      const timer = setTimeout(abort, timeoutMs);
      signal?.addEventListener('abort', abort, { once: true });
      socket.once('secureConnect', () => done(true));
      socket.once('error', (error: NodeJS.ErrnoException) => {
        // A reply that is not TLS: the OpenSSL record-layer errors ("wrong version number", "packet length too
        // long", "unexpected eof" after the server hung up on the hello). Anything else (refused, reset, DNS): unknown.
        done(typeof error.code === 'string' && error.code.startsWith('ERR_SSL_') ? false : undefined);
      });
    });
  }

  /** One exchange: no retry, no redirect. Network failures become NETWORK_ERROR / TLS_ERROR / ABORTED. */
  async exchange(
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body: RequestBody | undefined,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<HttpResponse> {
    const started = this.clock.now();
    const shown = this.context.redactor.text(redactUrl(url));
    if (signal?.aborted) throw abortedError(method, url, signal.reason);
    const dispatcher = await this.dispatcher();
    try {
      const res = await undiciRequest.call(dispatcher, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: { 'user-agent': this.options.userAgent ?? `archfit/${VERSION}`, ...headers },
        body: body ?? null,
        signal: signal ?? null,
      });
      const durationMs = this.clock.now() - started;
      this.options.onRequest?.({ method, url: shown, status: res.statusCode, attempt, durationMs });
      this.log(
        `${method} ${shown} -> ${res.statusCode} (${durationMs} ms${attempt > 1 ? `, attempt ${attempt}` : ''})`,
      );
      return { status: res.statusCode, statusText: res.statusText, headers: res.headers, body: res.body, url };
    } catch (cause) {
      const durationMs = this.clock.now() - started;
      let error: ArchfitError;
      if (signal?.aborted) error = abortedError(method, url, signal.reason);
      else if (isArchfitError(cause))
        error = cause; // from our own body stream (a digest check on upload)
      else if (typeof body === 'object' && !(body instanceof Uint8Array) && isArchfitError(body.errored)) {
        error = body.errored;
      } else error = transportError(method, url, cause, this.context.redactor);
      this.options.onRequest?.({ method, url: shown, error: error.code, attempt, durationMs });
      const prefix = `${method} ${shown}: `;
      this.log(
        `${prefix.slice(0, -2)} -> ${error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message}`,
      );
      throw error;
    }
  }

  /**
   * A request with retries and redirects. The response is returned whatever its status (after retries); the caller
   * reads or dumps its body.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method;
    const safe = method === 'GET' || method === 'HEAD';
    const retry = (req.retry ?? safe) && isReplayable(req.body);
    const follow = req.followRedirects ?? safe;
    const budget = this.budget();
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    let url = req.url;
    let redirects = 0;
    while (true) {
      let res: HttpResponse;
      try {
        res = await this.exchange(method, url, headers, req.body, req.signal, budget.attempts);
      } catch (error) {
        if (retry && isArchfitError(error) && error.details['retryable'] === true) {
          const wait = budget.next();
          if (wait !== undefined) {
            this.log(
              `retry ${budget.attempts}/${this.policy.maxAttempts} of ${method} ${redactUrl(url)} in ${wait} ms after ${error.code}`,
            );
            await this.sleep(wait, req.signal, method, url);
            continue;
          }
          this.log(`giving up on ${method} ${redactUrl(url)} after ${budget.attempts} attempts`);
        }
        throw error;
      }
      const location = header(res.headers, 'location');
      if (follow && REDIRECTS.has(res.status) && location !== undefined) {
        await dump(res);
        if (++redirects > MAX_REDIRECTS) {
          throw new ArchfitError(
            'REGISTRY_ERROR',
            `${method} ${redactUrl(req.url)}: more than ${MAX_REDIRECTS} redirects`,
          );
        }
        const next = resolveLocation(location, url, this.context.urlPolicy, 'redirect');
        if (!sameOrigin(next, url)) {
          // Credentials were meant for the registry only: never to blob storage or another host.
          for (const name of Object.keys(headers)) {
            if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete headers[name];
          }
        }
        this.log(`${method} ${redactUrl(url)} redirected to ${redactUrl(next)}`);
        url = next;
        continue;
      }
      if (retry && RETRYABLE_STATUSES.has(res.status)) {
        const retryAfter = parseRetryAfter(header(res.headers, 'retry-after'), this.clock.now());
        const wait = budget.next(retryAfter);
        if (wait !== undefined) {
          await dump(res);
          this.log(
            `retry ${budget.attempts}/${this.policy.maxAttempts} of ${method} ${redactUrl(url)} in ${wait} ms after HTTP ${res.status}${retryAfter !== undefined ? ` (Retry-After ${Math.round(retryAfter / 1000)} s)` : ''}`,
          );
          await this.sleep(wait, req.signal, method, url);
          continue;
        }
        this.log(
          `giving up on ${method} ${redactUrl(url)} after HTTP ${res.status} (attempt ${budget.attempts}/${this.policy.maxAttempts}${retryAfter !== undefined ? `, Retry-After ${Math.round(retryAfter / 1000)} s` : ''})`,
        );
      }
      return res;
    }
  }

  /** Waits (through the injected clock); a cancellation becomes ABORTED naming what was waited for. */
  async sleep(ms: number, signal: AbortSignal | undefined, method: string, url: URL | string): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch (cause) {
      if (signal?.aborted) throw abortedError(method, url, signal.reason);
      throw cause;
    }
  }
}

/** Reads and drops a body we do not need, so its connection can be reused; errors are irrelevant here. */
export async function dump(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 64 * 1024 });
  } catch {
    // The connection is closed instead of reused.
  }
}

function defaultCaCertificates(): string[] {
  // Node 22.15+ can list the default store (bundled + NODE_EXTRA_CA_CERTS, or the system store with
  // --use-system-ca); older Nodes only expose the bundled roots.
  const get = (tls as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  return typeof get === 'function' ? get('default') : [...tls.rootCertificates];
}

async function readCaFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ArchfitError('INVALID_ARGUMENT', `cannot read the CA file ${quote(file)}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ArchfitError('INVALID_ARGUMENT', `the CA file ${quote(file)} holds no PEM certificate`);
  }
  return text;
}
