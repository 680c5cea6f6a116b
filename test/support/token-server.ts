// A bearer-token server for tests (docker token auth spec, as the distribution registry expects it), on 127.0.0.1.
// It checks Basic credentials, grants requested scopes (optionally restricted), answers both the GET form and the
// OAuth2 POST form (grant_type=password / refresh_token), and records every request so tests can assert on them.
//
// Tokens are ES256 JWTs carrying an `x5c` header with the signing certificate: distribution 2.8
// (registry/auth/token/token.go) verifies the x5c chain against `auth.token.rootcertbundle`, then checks `iss`
// against `issuer`, `aud` (a single string in 2.8) against `service`, `exp`/`nbf` with 60 s of leeway, and the
// `access` claims against the request.
import { createPrivateKey, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './cleanup.js';
import { makeSigningCertificate } from './tls.js';

/** One `access` claim: what a token allows on a resource. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServerOptions {
  /** The only account; without it every caller is anonymous. */
  username?: string;
  password?: string;
  /** Whether callers without credentials get tokens. Default: true when no username is set, false otherwise. */
  allowAnonymous?: boolean;
  /** `expires_in` in the response and the token lifetime, in seconds. Default 300. */
  expiresIn?: number;
  /** Leave `expires_in` out of the response (clients must then assume 60 s). */
  omitExpiresIn?: boolean;
  /** Which field carries the token: `token`, `access_token` or both (default). */
  tokenField?: 'token' | 'access_token' | 'both';
  /** Whether the OAuth2 POST form is served (default true); false answers 404 to POST, as some registries do. */
  acceptPost?: boolean;
  /** The registry's `service` name, used as audience. Default `archfit-test-registry`. */
  service?: string;
  issuer?: string;
  /** Restricts what is granted: returns the allowed subset of `requested.actions`. Default: everything asked. */
  grant?: (requested: Access, account: string | undefined) => readonly string[];
}

export interface TokenRequestRecord {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** `password` or `refresh_token` for the POST form; undefined for GET. */
  grantType?: string;
  /** The authenticated account, undefined when anonymous or rejected. */
  account?: string;
  /** Whether credentials (Basic header, form password or refresh token) were presented. */
  presentedCredentials: boolean;
  service?: string;
  /** Raw scope strings asked for. */
  scopes: string[];
  granted: Access[];
  status: number;
}

export interface TokenServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The token endpoint: `${url}/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the signing certificate: the registry's `rootcertbundle`. */
  certFile: string;
  /** Every request so far, in order. */
  readonly requests: readonly TokenRequestRecord[];
  /** Number of requests so far. */
  readonly count: number;
  /** Forgets the recorded requests. */
  reset(): void;
  /** Mints a token directly (for tests that need one without a request); lifetime defaults to `expiresIn`. */
  issueToken(access: Access[], options?: { account?: string; expiresIn?: number; notBefore?: number }): string;
  /** Refresh tokens handed out so far (POST password grant, or GET with offline_token=true). */
  readonly refreshTokens: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Parses a docker scope string `type:name:actions` (name may contain ':' e.g. a port); `type(class)` keeps its class. */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return { type, name, actions };
}

function parseBasic(header: string | undefined): { user: string; pass: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = makeTempDir('token');
  const signing = await makeSigningCertificate(join(dir, 'signing'));
  const key: KeyObject = createPrivateKey(readFileSync(signing.keyFile));
  const x5c = new X509Certificate(readFileSync(signing.certFile)).raw.toString('base64');
  const service = options.service ?? 'archfit-test-registry';
  const issuer = options.issuer ?? 'archfit-test-token-server';
  const expiresIn = options.expiresIn ?? 300;
  const allowAnonymous = options.allowAnonymous ?? options.username === undefined;
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>(); // refresh token → account

  function issueToken(access: Access[], o: { account?: string; expiresIn?: number; notBefore?: number } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
    const claims = {
      iss: issuer,
      sub: o.account ?? '',
      aud: service,
      exp: now + (o.expiresIn ?? expiresIn),
      nbf: o.notBefore ?? now - 1,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS ES256 signatures are r||s (IEEE P1363), not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${b64url(signature)}`;
  }

  function grantAll(scopes: string[], account: string | undefined): Access[] {
    const out: Access[] = [];
    for (const s of scopes) {
      const requested = parseScope(s);
      if (!requested) continue;
      const actions = options.grant ? [...options.grant(requested, account)] : requested.actions;
      if (actions.length > 0) out.push({ type: requested.type, name: requested.name, actions });
    }
    return out;
  }

  const checkPassword = (user: string, pass: string) =>
    options.username !== undefined && user === options.username && pass === (options.password ?? '');

  async function handle(req: IncomingMessage, res: ServerResponse, record: TokenRequestRecord): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') return sendJson(res, 404, { error: 'not found' });
    let account: string | undefined;
    let presented = false;
    let offline = false;
    let scopes: string[];
    let requestedService: string | undefined;
    let refreshToken: string | undefined;

    if (req.method === 'GET') {
      scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
      requestedService = url.searchParams.get('service') ?? undefined;
      offline = url.searchParams.get('offline_token') === 'true';
      const basic = parseBasic(req.headers.authorization);
      if (basic) {
        presented = true;
        if (!checkPassword(basic.user, basic.pass)) {
          return sendJson(
            res,
            401,
            { details: 'incorrect username or password' },
            {
              'www-authenticate': 'Basic realm="archfit-test-token-server"',
            },
          );
        }
        account = basic.user;
      }
    } else if (req.method === 'POST') {
      if (options.acceptPost === false) return sendJson(res, 404, { error: 'not found' });
      const form = new URLSearchParams(await readBody(req));
      record.grantType = form.get('grant_type') ?? undefined;
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      requestedService = form.get('service') ?? undefined;
      if (record.grantType === 'password') {
        presented = true;
        if (!checkPassword(form.get('username') ?? '', form.get('password') ?? '')) {
          return sendJson(res, 401, { error: 'invalid_grant', error_description: 'incorrect username or password' });
        }
        account = form.get('username') ?? undefined;
        offline = true;
      } else if (record.grantType === 'refresh_token') {
        presented = true;
        const given = form.get('refresh_token') ?? '';
        account = refreshTokens.get(given);
        if (account === undefined) {
          return sendJson(res, 400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
        }
        refreshToken = given;
        offline = true;
      } else {
        return sendJson(res, 400, { error: 'unsupported_grant_type' });
      }
    } else {
      return sendJson(res, 405, { error: 'method not allowed' });
    }

    record.scopes = scopes;
    record.service = requestedService;
    if (requestedService !== undefined && requestedService !== service) {
      return sendJson(res, 400, { error: 'invalid_request', details: `unknown service ${requestedService}` });
    }
    if (account === undefined && !allowAnonymous) {
      return sendJson(
        res,
        401,
        { details: 'authentication required' },
        {
          'www-authenticate': 'Basic realm="archfit-test-token-server"',
        },
      );
    }
    record.account = account;
    record.presentedCredentials = presented;
    const granted = grantAll(scopes, account);
    record.granted = granted;
    const token = issueToken(granted, account === undefined ? {} : { account });
    const body: Record<string, unknown> = {};
    const field = options.tokenField ?? 'both';
    if (field !== 'access_token') body['token'] = token;
    if (field !== 'token') body['access_token'] = token;
    if (!options.omitExpiresIn) body['expires_in'] = expiresIn;
    body['issued_at'] = new Date().toISOString();
    if (offline && account !== undefined) {
      if (refreshToken === undefined) {
        refreshToken = randomBytes(16).toString('hex');
        refreshTokens.set(refreshToken, account);
      }
      body['refresh_token'] = refreshToken;
    }
    sendJson(res, 200, body);
  }

  const server = createServer((req, res) => {
    const record: TokenRequestRecord = {
      method: req.method ?? '',
      url: req.url ?? '',
      presentedCredentials: false,
      scopes: [],
      granted: [],
      status: 0,
    };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    handle(req, res, record).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(e) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;

  return {
    url,
    realm: `${url}/token`,
    service,
    issuer,
    certFile: signing.certFile,
    get requests() {
      return requests;
    },
    get count() {
      return requests.length;
    },
    reset() {
      requests.length = 0;
    },
    issueToken,
    refreshTokens,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeTempDir(dir);
    },
  };
}
