// A scripted fake registry on 127.0.0.1: a tiny node:http server that serves exactly the bytes it is given for
// manifest and blob paths (read-only), for what a real registry cannot be made to serve: bytes that do not hash to
// the digest asked for, manifests over any limit, endless bodies, lying headers, the same index for every digest.
// Every request is recorded (method, path, headers) so tests can count what a client asked for, and a `handler`
// hook can answer anything itself first (auth challenges, redirects).

import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export interface ScriptedObject {
  bytes: Buffer;
  /** Content-Type; for manifests the default is the body's `mediaType`, for blobs application/octet-stream. */
  contentType?: string;
  /** Extra or replacing headers (a lying Docker-Content-Digest, a Content-Length that is not the body's). */
  headers?: Record<string, string>;
  /** Leave Content-Length out (the body goes chunked). */
  chunked?: boolean;
  /** Keep sending this many more bytes of spaces after the body, chunked (an endless or oversized stream). */
  endless?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: IncomingHttpHeaders;
}

export type ScriptedHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => boolean | Promise<boolean>;

export interface ScriptedRegistryOptions {
  /** Manifests by `<repository>:<tag>` or `<repository>@<digest>`. */
  manifests?: Record<string, ScriptedObject>;
  /** Blobs by digest (in any repository) or by `<repository>@<digest>` (in that one only; asked first). */
  blobs?: Record<string, ScriptedObject>;
  /** Answers every manifest asked for by digest in `repository` with these bytes, whatever the digest. */
  anyDigest?: Record<string, ScriptedObject>;
  /** Called first for every request (after it is recorded); true when it answered. */
  handler?: ScriptedHandler;
}

export interface ScriptedRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  readonly requests: readonly RecordedRequest[];
  /** Requests whose path matches. */
  count(pattern: RegExp, method?: string): number;
  setManifest(key: string, object: ScriptedObject): void;
  /** `digest` (any repository) or `<repository>@<digest>`. */
  setBlob(key: string, object: ScriptedObject): void;
  setAnyDigest(repository: string, object: ScriptedObject): void;
  close(): Promise<void>;
}

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function mediaTypeOf(bytes: Buffer): string | undefined {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
    return typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  } catch {
    return undefined;
  }
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function send(req: IncomingMessage, res: ServerResponse, o: ScriptedObject, kind: 'manifest' | 'blob') {
  const headers: Record<string, string> = {
    'content-type':
      o.contentType ??
      (kind === 'manifest' ? (mediaTypeOf(o.bytes) ?? 'application/json') : 'application/octet-stream'),
    'docker-content-digest': sha256(o.bytes),
  };
  if (!o.chunked && o.endless === undefined) headers['content-length'] = String(o.bytes.length);
  Object.assign(headers, o.headers ?? {});
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return void res.end();
  res.write(o.bytes);
  let left = o.endless ?? 0;
  const piece = Buffer.alloc(64 * 1024, 0x20);
  while (left > 0 && !res.destroyed) {
    const n = Math.min(left, piece.length);
    left -= n;
    const ok = res.write(piece.subarray(0, n));
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

export async function startScriptedRegistry(options: ScriptedRegistryOptions = {}): Promise<ScriptedRegistry> {
  const manifests = new Map(Object.entries(options.manifests ?? {}));
  const blobs = new Map(Object.entries(options.blobs ?? {}));
  const anyDigest = new Map(Object.entries(options.anyDigest ?? {}));
  const requests: RecordedRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    requests.push(recorded);
    req.resume();
    if (options.handler && (await options.handler(req, res, recorded))) return;
    const path = new URL(recorded.path, 'http://x').pathname;
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      return void res.end('{}');
    }
    if (recorded.method !== 'GET' && recorded.method !== 'HEAD') {
      return sendError(res, 405, 'UNSUPPORTED', 'this scripted registry is read-only');
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (manifest) {
      const [, repo, ref] = manifest as unknown as [string, string, string];
      const isDigest = ref.includes(':');
      const found =
        manifests.get(`${repo}${isDigest ? '@' : ':'}${ref}`) ?? (isDigest ? anyDigest.get(repo) : undefined);
      if (!found) return sendError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      return send(req, res, found, 'manifest');
    }
    const blob = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path);
    if (blob) {
      const found = blobs.get(`${blob[1]}@${blob[2]}`) ?? blobs.get(blob[2]!);
      if (!found) return sendError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      return send(req, res, found, 'blob');
    }
    sendError(res, 404, 'NOT_FOUND', 'not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  const listener = await listenOnLoopback(server);
  const port = listener.port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    count: (pattern, method) => requests.filter((r) => pattern.test(r.path) && (!method || r.method === method)).length,
    setManifest: (key, object) => void manifests.set(key, object),
    setBlob: (key, object) => void blobs.set(key, object),
    setAnyDigest: (repository, object) => void anyDigest.set(repository, object),
    close: () => listener.close(),
  };
}

/** A server that only records what reaches it (and answers 200 with `body`): the "other host" of a test. */
export async function startRecordingServer(body = 'not for you'): Promise<ScriptedRegistry> {
  return startScriptedRegistry({
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    },
  });
}
