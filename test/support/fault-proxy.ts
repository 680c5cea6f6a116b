// A fault-injecting HTTP proxy on 127.0.0.1, in front of a real registry, for what the registry cannot be made to do:
// answer 5xx or 429 (with Retry-After), reset the connection before the headers or in the middle of a body, cut a
// body short, corrupt bytes (of the response, or of a request body on its way to the registry), trickle a body
// slowly, stall, or let the registry act on a request and then lose its answer. Each request is shown to a rule that
// picks its fault; helpers build rules that fire once, n times, or at random from a seed (so a reliability suite can
// replay a failing run). The Host header is passed through, so the registry's Location headers point back at the
// proxy.

import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { listenOnLoopback } from './loopback-server.js';

export interface ProxiedRequest {
  /** 0 for the first request the proxy saw. */
  index: number;
  method: string;
  /** Path and query, as received. */
  path: string;
  headers: IncomingHttpHeaders;
}

export type Fault =
  /** Forward untouched. */
  | { type: 'pass' }
  /** Answer without forwarding. */
  | { type: 'respond'; status: number; headers?: Record<string, string>; body?: string }
  /** Forward; reset the client's connection (TCP RST) after `afterBytes` bytes of the response body (0: at once). */
  | { type: 'reset'; afterBytes: number }
  /** Forward; close the connection cleanly after `afterBytes` bytes of the body (fewer than Content-Length says). */
  | { type: 'truncate'; afterBytes: number }
  /** Forward; flip the bits of the body byte at `atByte` (XOR 0xff unless told), and of the `length - 1` after it. */
  | { type: 'corrupt'; atByte: number; xor?: number; length?: number }
  /** Wait before forwarding. */
  | { type: 'delay'; ms: number }
  /** Forward; stop sending after `afterBytes` bytes of the body and hold the connection open for `ms`, then close. */
  | { type: 'stall'; afterBytes: number; ms: number }
  /** Forward; send the response body in pieces of `chunkBytes` with `intervalMs` between them. */
  | { type: 'slow'; chunkBytes: number; intervalMs: number }
  /** Forward with the request body's byte at `atByte` flipped (the registry sees bytes that do not hash right). */
  | { type: 'corrupt-request'; atByte: number; xor?: number }
  /**
   * Forward and let the registry act on the request (store the blob, tag the manifest), then reset the client's
   * connection before the response headers: the client cannot know that it worked.
   */
  | { type: 'lose-response' };

export type FaultRule = (request: ProxiedRequest) => Fault | undefined;

export interface ProxyLogEntry {
  index: number;
  method: string;
  path: string;
  /** The Range header the client sent, if any. */
  range?: string;
  fault: Fault['type'];
  /** The status sent to the client (the injected one, or the upstream's). */
  status?: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use as the registry host. */
  host: string;
  url: string;
  port: number;
  /** Every request so far, in order, with the fault applied to it. */
  readonly log: readonly ProxyLogEntry[];
  /** Replaces the rule (undefined: pass everything). */
  setRule(rule: FaultRule | undefined): void;
  /** Forgets the log. */
  reset(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The upstream registry: `http://127.0.0.1:PORT` or `https://…` (then `ca` to trust it). */
  target: string;
  ca?: string;
  rule?: FaultRule;
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first rule that picks a fault wins. */
export function combineRules(...rules: FaultRule[]): FaultRule {
  return (r) => {
    for (const rule of rules) {
      const f = rule(r);
      if (f !== undefined) return f;
    }
    return undefined;
  };
}

/** `fault` for the first `times` requests that match (default once), then nothing. */
export function faultTimes(match: (r: ProxiedRequest) => boolean, fault: Fault, times = 1): FaultRule {
  let left = times;
  return (r) => {
    if (left <= 0 || !match(r)) return undefined;
    left--;
    return fault;
  };
}

export interface SeededFaultsOptions {
  seed: number;
  /** Chance that a matching request gets a fault. */
  probability: number;
  /** Faults to pick from (uniformly), or a function that makes one from the PRNG and the request. */
  faults: readonly Fault[] | ((random: () => number, r: ProxiedRequest) => Fault);
  /** Which requests may be faulted (default: all). */
  match?: (r: ProxiedRequest) => boolean;
  /** Stop injecting after this many faults (default unlimited). */
  maxFaults?: number;
}

/** Random faults from a seed: a failing run is replayed by reusing its seed. */
export function seededFaults(options: SeededFaultsOptions): FaultRule {
  const random = seededRandom(options.seed);
  let injected = 0;
  return (r) => {
    if (options.match && !options.match(r)) return undefined;
    if (options.maxFaults !== undefined && injected >= options.maxFaults) return undefined;
    if (random() >= options.probability) return undefined;
    injected++;
    const { faults } = options;
    if (typeof faults === 'function') return faults(random, r);
    return faults[Math.floor(random() * faults.length)] ?? { type: 'pass' };
  };
}

/** Requests for blob bodies (GET /v2/<name>/blobs/<digest>). */
export const isBlobGet = (r: ProxiedRequest): boolean => r.method === 'GET' && /\/blobs\/sha256:/.test(r.path);
export const isManifestGet = (r: ProxiedRequest): boolean => r.method === 'GET' && /\/manifests\//.test(r.path);
/** Steps of a blob upload: POST to start, PATCH chunks, PUT `?digest=` to finish. */
export const isBlobUpload = (r: ProxiedRequest): boolean => /\/blobs\/uploads\//.test(r.path);
export const isManifestPut = (r: ProxiedRequest): boolean => r.method === 'PUT' && /\/manifests\//.test(r.path);

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  let rule = options.rule;
  const log: ProxyLogEntry[] = [];
  let index = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r: ProxiedRequest = {
      index: index++,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
    };
    const fault: Fault = rule?.(r) ?? { type: 'pass' };
    const entry: ProxyLogEntry = { index: r.index, method: r.method, path: r.path, fault: fault.type };
    if (typeof req.headers.range === 'string') entry.range = req.headers.range;
    log.push(entry);

    if (fault.type === 'respond') {
      req.resume();
      const body = fault.body ?? '';
      entry.status = fault.status;
      res.writeHead(fault.status, { 'content-length': Buffer.byteLength(body), ...(fault.headers ?? {}) });
      res.end(body);
      return;
    }
    if (fault.type === 'reset' && fault.afterBytes <= 0) {
      req.resume();
      req.socket.resetAndDestroy();
      return;
    }
    if (fault.type === 'delay') await sleep(fault.ms);

    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send({
      host: target.hostname,
      port: target.port,
      method: r.method,
      path: r.path,
      headers: headers as Record<string, string | string[]>,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-length': 0 });
        res.end();
      } else res.destroy();
    });
    if (fault.type === 'corrupt-request') {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (fault.atByte >= seen && fault.atByte < seen + c.length) {
          c = Buffer.from(c);
          const i = fault.atByte - seen;
          c[i] = (c[i] ?? 0) ^ (fault.xor ?? 0xff);
        }
        seen += chunk.length;
        upstream.write(c);
      });
      req.on('end', () => upstream.end());
    } else req.pipe(upstream);
    const up = await new Promise<IncomingMessage | undefined>((resolve) => {
      upstream.once('response', resolve);
      // No answer (the registry went away): the error handler above has replied already.
      upstream.once('error', () => resolve(undefined));
    });
    if (up === undefined) return;
    if (fault.type === 'lose-response') {
      entry.status = up.statusCode ?? 0;
      // Let the registry finish what it was doing (its body is read), then the client loses the answer.
      up.resume();
      await new Promise<void>((resolve) => (up.complete ? resolve() : up.once('end', () => resolve())));
      req.socket.resetAndDestroy();
      return;
    }
    entry.status = up.statusCode ?? 0;
    const outHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v;
    res.writeHead(up.statusCode ?? 502, up.statusMessage, outHeaders);

    let sent = 0;
    let cut = false;
    for await (const chunk of up) {
      if (cut) continue;
      let c = chunk as Buffer;
      if (fault.type === 'corrupt') {
        const from = Math.max(fault.atByte, sent);
        const to = Math.min(fault.atByte + Math.max(1, fault.length ?? 1), sent + c.length);
        if (from < to) {
          c = Buffer.from(c);
          for (let i = from - sent; i < to - sent; i++) c[i] = (c[i] ?? 0) ^ (fault.xor ?? 0xff);
        }
      }
      if (
        (fault.type === 'reset' || fault.type === 'truncate' || fault.type === 'stall') &&
        sent + c.length >= fault.afterBytes
      ) {
        const part = c.subarray(0, Math.max(0, fault.afterBytes - sent));
        sent += part.length;
        await new Promise<void>((resolve) => (part.length > 0 ? res.write(part, () => resolve()) : resolve()));
        cut = true;
        up.destroy();
        // Give the bytes time to reach the client before the connection goes.
        await sleep(fault.type === 'stall' ? fault.ms : 30);
        if (fault.type === 'reset') req.socket.resetAndDestroy();
        else req.socket.end();
        break;
      }
      if (fault.type === 'slow') {
        for (let i = 0; i < c.length; i += Math.max(1, fault.chunkBytes)) {
          if (res.destroyed) break;
          await new Promise<void>((resolve) =>
            res.write(c.subarray(i, i + Math.max(1, fault.chunkBytes)), () => resolve()),
          );
          await sleep(fault.intervalMs);
        }
        sent += c.length;
        continue;
      }
      sent += c.length;
      if (!res.write(c)) await new Promise<void>((resolve) => res.once('drain', resolve));
    }
    if (!cut) res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.destroy();
    });
  });
  // An HTTPS client hello and other garbage: drop the connection (a registry client then falls back to http).
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  const listener = await listenOnLoopback(server);
  const port = listener.port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    port,
    get log() {
      return log;
    },
    setRule(next) {
      rule = next;
    },
    reset() {
      log.length = 0;
    },
    close: () => listener.close(),
  };
}
