// The docker token flow: scopes accumulated per registry host (so one token covers `repository:src:pull` and
// `repository:dst:pull,push`, which a cross-repository mount needs), token requests to the challenge's realm
// (anonymous, Basic, or the OAuth2 POST form with a refresh token, falling back to GET), and the token response.
import { ArchfitError, quote } from '../errors.js';
import { readCapped } from './body.js';
import type { BearerChallenge } from './challenge.js';
import type { Credential } from './credential-types.js';
import { statusError } from './errors.js';
import { redactUrl } from './redact.js';
import { dump, type HttpResponse, type Transport } from './transport.js';

/** A scope string "type:name:action,action" split; the name may contain ":" (a registry with a port). */
export interface Scope {
  /** "repository:app" (type and name). */
  resource: string;
  actions: string[];
}

export function parseScope(scope: string): Scope | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (actions.length === 0) return undefined;
  return { resource: scope.slice(0, last), actions };
}

export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

const ACTION_ORDER = ['pull', 'push', 'delete', '*'];
function sortActions(actions: Iterable<string>): string[] {
  return [...actions].sort((a, b) => {
    const ia = ACTION_ORDER.indexOf(a);
    const ib = ACTION_ORDER.indexOf(b);
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
  });
}

/** The scopes a host's token must cover: grows as operations need more, never shrinks. */
export class ScopeSet {
  private readonly resources = new Map<string, Set<string>>();

  /** Adds a scope; true when it asked for something not yet covered. */
  add(scope: string): boolean {
    const parsed = parseScope(scope);
    if (!parsed) return false;
    let actions = this.resources.get(parsed.resource);
    if (!actions) {
      actions = new Set();
      this.resources.set(parsed.resource, actions);
    }
    let added = false;
    for (const a of parsed.actions) {
      if (!actions.has(a)) {
        actions.add(a);
        added = true;
      }
    }
    return added;
  }

  has(scope: string): boolean {
    const parsed = parseScope(scope);
    if (!parsed) return true;
    const actions = this.resources.get(parsed.resource);
    return actions !== undefined && parsed.actions.every((a) => actions.has(a));
  }

  /** The scopes, merged per resource; those touching `first` resources come first (some servers read only one). */
  list(first: readonly string[] = []): string[] {
    const firstResources = first.map((s) => parseScope(s)?.resource).filter((r): r is string => r !== undefined);
    const order = [...new Set([...firstResources, ...[...this.resources.keys()].sort()])];
    return order
      .filter((r) => this.resources.has(r))
      .map((r) => `${r}:${sortActions(this.resources.get(r)!).join(',')}`);
  }

  /** A stable key of the whole set, for the token cache. */
  key(): string {
    return [...this.resources.keys()]
      .sort()
      .map((r) => `${r}:${sortActions(this.resources.get(r)!).join(',')}`)
      .join(' ');
  }
}

export interface Token {
  value: string;
  /** Epoch ms after which the token is not used any more. */
  expiresAt: number;
  obtainedAt: number;
}

/** A token is renewed a little before it expires, so it does not lapse between a check and its use. */
export function tokenIsFresh(token: Token, now: number): boolean {
  const lifetime = token.expiresAt - token.obtainedAt;
  const margin = Math.min(10_000, Math.max(0, lifetime / 5));
  return now < token.expiresAt - margin;
}

/** Token responses are read up to this size (ECR and GitHub tokens are a few KiB). */
export const MAX_TOKEN_RESPONSE = 1024 * 1024;
/** `expires_in` when the server does not say (the docker token spec's default). */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Parses a token response body. */
export function parseTokenResponse(bytes: Uint8Array, now: number, source: string): Token {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new ArchfitError('REGISTRY_ERROR', `${source}: the token response is not JSON`, { cause });
  }
  if (typeof doc !== 'object' || doc === null) {
    throw new ArchfitError('REGISTRY_ERROR', `${source}: the token response is not a JSON object`);
  }
  const d = doc as Record<string, unknown>;
  const value =
    typeof d['access_token'] === 'string' && d['access_token'] !== ''
      ? d['access_token']
      : typeof d['token'] === 'string'
        ? d['token']
        : '';
  // The token goes into a header: printable ASCII only, so a hostile server cannot inject header lines.
  if (!/^[\x21-\x7e]{1,65536}$/.test(value)) {
    throw new ArchfitError('REGISTRY_ERROR', `${source}: the token response has no usable "token" or "access_token"`);
  }
  const expiresIn =
    typeof d['expires_in'] === 'number' && Number.isFinite(d['expires_in']) && d['expires_in'] > 0
      ? Math.min(d['expires_in'], 365 * 24 * 3600)
      : DEFAULT_TOKEN_LIFETIME_S;
  let issuedAt = now;
  if (typeof d['issued_at'] === 'string') {
    const t = Date.parse(d['issued_at']);
    // A server clock ahead of ours is ignored; one behind is believed only while the token still looks valid.
    if (!Number.isNaN(t) && t <= now && t + expiresIn * 1000 > now) issuedAt = t;
  }
  return { value, expiresAt: issuedAt + expiresIn * 1000, obtainedAt: now };
}

export interface TokenRequest {
  challenge: BearerChallenge;
  scopes: string[];
  credential: Credential | undefined;
  /** Use the OAuth2 password grant (POST) for username/password credentials instead of GET with Basic. */
  oauthPasswordGrant?: boolean;
  signal?: AbortSignal | undefined;
}

/** Checks the realm URL: https, or http only to a loopback or insecure host; no userinfo. */
export function checkRealm(realm: string, transport: Transport): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch (cause) {
    throw new ArchfitError('REGISTRY_ERROR', `the registry's token realm ${quote(redactUrl(realm))} is not a URL`, {
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ArchfitError('REGISTRY_ERROR', `the registry's token realm ${quote(redactUrl(url))} is not http(s)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ArchfitError('REGISTRY_ERROR', `the registry's token realm ${quote(redactUrl(url))} carries credentials`);
  }
  if (url.protocol === 'http:' && !transport.urlPolicy.allowHttp(url.host)) {
    throw new ArchfitError(
      'INSECURE_REGISTRY',
      `refusing to send credentials to the plain-HTTP token realm ${redactUrl(url)}: only loopback and insecure registries may use http`,
    );
  }
  url.hash = '';
  return url;
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Fetches a token for the scopes from the challenge's realm. */
export async function fetchToken(transport: Transport, req: TokenRequest): Promise<Token> {
  const realm = checkRealm(req.challenge.realm, transport);
  const cred = req.credential;
  const hasPassword = cred?.username !== undefined && cred.username !== '' && cred.password !== undefined;
  if (cred?.identityToken) {
    const res = await postForm(transport, realm, req, {
      grant_type: 'refresh_token',
      refresh_token: cred.identityToken,
    });
    if (res !== undefined) return await tokenFrom(transport, res, realm, 'POST', req);
  } else if (hasPassword && req.oauthPasswordGrant) {
    const res = await postForm(transport, realm, req, {
      grant_type: 'password',
      username: cred!.username!,
      password: cred!.password!,
    });
    if (res !== undefined) return await tokenFrom(transport, res, realm, 'POST', req);
  }
  const url = new URL(realm.href);
  if (req.challenge.service !== undefined) url.searchParams.set('service', req.challenge.service);
  for (const s of req.scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (hasPassword) {
    url.searchParams.set('account', cred!.username!);
    headers['authorization'] = basicHeader(cred!.username!, cred!.password!);
  }
  const res = await transport.send({ method: 'GET', url, headers, signal: req.signal, followRedirects: true });
  return await tokenFrom(transport, res, url, 'GET', req);
}

/** The OAuth2 POST form; undefined when the server does not serve it (404/405), so the caller falls back to GET. */
async function postForm(
  transport: Transport,
  realm: URL,
  req: TokenRequest,
  grant: Record<string, string>,
): Promise<HttpResponse | undefined> {
  const form = new URLSearchParams({ ...grant, client_id: 'archfit' });
  if (req.challenge.service !== undefined) form.set('service', req.challenge.service);
  if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
  const res = await transport.send({
    method: 'POST',
    url: realm,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: req.signal,
    retry: true,
    followRedirects: false,
  });
  if (res.status === 404 || res.status === 405) {
    await dump(res);
    transport.log(`token: ${redactUrl(realm)} does not serve the OAuth2 POST form (HTTP ${res.status}); using GET`);
    return undefined;
  }
  return res;
}

async function tokenFrom(
  transport: Transport,
  res: HttpResponse,
  url: URL,
  method: string,
  req: TokenRequest,
): Promise<Token> {
  if (res.status !== 200) {
    const body = await readCapped(res.body, 64 * 1024, { truncate: true }).catch(() => undefined);
    const error = statusError({
      method,
      url,
      status: res.status,
      statusText: res.statusText,
      ...(body ? { body } : {}),
      kind: 'token',
      redactor: transport.redactor,
      hint: res.status === 401 ? '(the token server refused the credentials)' : undefined,
    });
    throw error;
  }
  const bytes = await readCapped(res.body, MAX_TOKEN_RESPONSE, {
    what: 'token response',
    source: `${method} ${redactUrl(url)}`,
  });
  const token = parseTokenResponse(bytes, transport.clock.now(), `${method} ${redactUrl(url)}`);
  transport.redactor.add(token.value);
  transport.log(
    `token: got one for ${req.scopes.length > 0 ? req.scopes.join(' ') : '(no scope)'} from ${redactUrl(url.origin)}, valid ${Math.round((token.expiresAt - transport.clock.now()) / 1000)} s`,
  );
  return token;
}
