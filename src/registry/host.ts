// One registry host as a client sees it: the scheme that works (HTTPS, or plain HTTP after an HTTPS failure on a
// loopback or insecure host, remembered), the authentication it asks for (learnt from a ping of /v2/ and from later
// challenges), the credential for it, and its bearer tokens (cached per scope set until they expire). Every request
// to the host goes through `request`, which adds the Authorization header for this host only and, on a 401,
// refreshes the token once and repeats the request when its body can be sent again.
import { ArchfitError, isArchfitError } from '../errors.js';
import { fetchToken, ScopeSet, type Token, tokenIsFresh } from './auth.js';
import { type BearerChallenge, bearerChallenge, hasBasicChallenge, parseWwwAuthenticate } from './challenge.js';
import type { Credential, CredentialStore } from './credential-types.js';
import type { RegistryEndpoint } from './endpoint.js';
import type { ResourceKind } from './errors.js';
import { redactUrl } from './redact.js';
import { isCertificateError } from './retry.js';
import {
  dump,
  type HttpMethod,
  type HttpResponse,
  isReplayable,
  type RequestBody,
  type Transport,
} from './transport.js';
import { sameOrigin } from './url.js';

type AuthMode =
  | { kind: 'unknown' }
  | { kind: 'none' }
  | { kind: 'basic' }
  | { kind: 'bearer'; challenge: BearerChallenge };

export interface HostRequest {
  method: HttpMethod;
  /** A path on the registry ("/v2/app/manifests/latest"), or a full URL (an upload Location). */
  path?: string;
  url?: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  signal?: AbortSignal | undefined;
  /** The token scopes this request needs ("repository:app:pull"). */
  scopes: readonly string[];
  kind: ResourceKind;
  retry?: boolean;
  followRedirects?: boolean;
}

export interface HostOptions {
  credentials?: CredentialStore | undefined;
  oauthPasswordGrant?: boolean | undefined;
}

export class RegistryHost {
  readonly endpoint: RegistryEndpoint;
  readonly transport: Transport;
  /** Blob upload mode learnt for this host: once a monolithic PUT was refused, chunks from then on. */
  uploadMode: 'monolithic' | 'chunked' | undefined;
  private scheme: 'https' | 'http' | undefined;
  private pinging: Promise<void> | undefined;
  private auth: AuthMode = { kind: 'unknown' };
  private readonly scopes = new ScopeSet();
  private tokens = new Map<string, Token>();
  private pendingTokens = new Map<string, Promise<Token>>();
  private credential: { value: Credential | undefined; at: number } | undefined;
  private pendingCredential: Promise<Credential | undefined> | undefined;
  private readonly options: HostOptions;

  constructor(endpoint: RegistryEndpoint, transport: Transport, options: HostOptions) {
    this.endpoint = endpoint;
    this.transport = transport;
    this.options = options;
  }

  /** The registry's origin once known ("https://127.0.0.1:5000"); pings the host the first time. */
  async origin(signal?: AbortSignal): Promise<URL> {
    await this.ready(signal);
    return new URL(`${this.scheme}://${this.endpoint.host}`);
  }

  private async ready(signal: AbortSignal | undefined): Promise<void> {
    while (this.scheme === undefined) {
      this.pinging ??= this.ping(signal).finally(() => {
        this.pinging = undefined;
      });
      try {
        await this.pinging;
      } catch (error) {
        // Another caller's cancelled ping is not our failure: ping again with our signal.
        if (isArchfitError(error, 'ABORTED') && !signal?.aborted) continue;
        throw error;
      }
    }
  }

  /** GET /v2/: which scheme answers, and which authentication the registry wants. */
  private async ping(signal: AbortSignal | undefined): Promise<void> {
    let res: HttpResponse;
    let scheme: 'https' | 'http';
    if (this.endpoint.allowHttp && (await this.transport.speaksTls(this.endpoint.host, signal)) === false) {
      // The port does not speak TLS (a handshake probe said so): plain HTTP straight away.
      this.transport.log(`${this.endpoint.host}: no TLS on this port; plain HTTP`);
      res = await this.pingHttp(signal);
      scheme = 'http';
    } else {
      ({ res, scheme } = await this.pingHttps(signal));
    }
    const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
    await dump(res);
    if (res.status === 401) this.learn(challenges);
    if (this.auth.kind === 'unknown') this.auth = { kind: 'none' };
    this.scheme = scheme;
    this.transport.log(
      `${this.endpoint.host}: ${scheme}, ${this.auth.kind === 'bearer' ? `token auth, realm ${redactUrl(this.auth.challenge.realm)}` : this.auth.kind === 'basic' ? 'password auth' : 'no auth'}`,
    );
  }

  /** HTTPS first; where plain HTTP is allowed, a connection-level failure of HTTPS is the cue to try it. */
  private async pingHttps(signal: AbortSignal | undefined): Promise<{ res: HttpResponse; scheme: 'https' | 'http' }> {
    try {
      const res = await this.transport.send({
        method: 'GET',
        url: new URL(`https://${this.endpoint.host}/v2/`),
        signal,
        followRedirects: false,
        retry: !this.endpoint.allowHttp,
      });
      return { res, scheme: 'https' };
    } catch (error) {
      // A server that speaks TLS with an untrusted certificate is not a plain-HTTP server: no fallback then.
      const fallback =
        this.endpoint.allowHttp &&
        (isArchfitError(error, 'TLS_ERROR') || isArchfitError(error, 'NETWORK_ERROR')) &&
        !isCertificateError((error as ArchfitError).cause);
      if (!fallback) throw error;
      this.transport.log(`${this.endpoint.host}: HTTPS failed (${(error as ArchfitError).code}); trying plain HTTP`);
      try {
        return { res: await this.pingHttp(signal), scheme: 'http' };
      } catch (second) {
        if (isArchfitError(second, 'ABORTED')) throw second;
        const first = error as ArchfitError;
        throw new ArchfitError(first.code, `${first.message} (plain HTTP failed too: ${(second as Error).message})`, {
          cause: first,
          details: first.details,
        });
      }
    }
  }

  private async pingHttp(signal: AbortSignal | undefined): Promise<HttpResponse> {
    const http = new URL(`http://${this.endpoint.host}/v2/`);
    const res = await this.transport.send({ method: 'GET', url: http, signal, followRedirects: false });
    if (res.status === 400) {
      // "Client sent an HTTP request to an HTTPS server": not a plain-HTTP registry after all.
      await dump(res);
      throw new ArchfitError('REGISTRY_ERROR', `GET ${http.href}: HTTP 400`);
    }
    return res;
  }

  /** Updates the auth mode from challenges; true when something changed that makes a new attempt worthwhile. */
  private learn(challenges: ReturnType<typeof parseWwwAuthenticate>): boolean {
    const bearer = bearerChallenge(challenges);
    if (bearer) {
      let changed = false;
      if (
        this.auth.kind !== 'bearer' ||
        this.auth.challenge.realm !== bearer.realm ||
        this.auth.challenge.service !== bearer.service
      ) {
        this.auth = { kind: 'bearer', challenge: { ...bearer, scopes: [] } };
        this.tokens.clear();
        changed = true;
      }
      for (const s of bearer.scopes) if (this.scopes.add(s)) changed = true;
      return changed;
    }
    if (hasBasicChallenge(challenges) && this.auth.kind !== 'basic') {
      this.auth = { kind: 'basic' };
      return true;
    }
    return false;
  }

  private async getCredential(signal: AbortSignal | undefined): Promise<Credential | undefined> {
    const store = this.options.credentials;
    if (!store) return undefined;
    const now = this.transport.clock.now();
    const cached = this.credential;
    if (cached && (cached.value?.expiresAt === undefined || cached.value.expiresAt.getTime() > now + 60_000)) {
      return cached.value;
    }
    this.pendingCredential ??= (async () => {
      try {
        const value = await store.get(this.endpoint.name, signal ? { signal } : {});
        const r = this.transport.redactor;
        if (value) {
          if (value.username !== undefined && value.password !== undefined) r.addBasic(value.username, value.password);
          r.add(value.password);
          r.add(value.identityToken);
          r.add(value.registryToken);
        }
        this.credential = { value, at: now };
        this.transport.log(
          `${this.endpoint.name}: ${value ? `credentials found${value.username ? ` for user ${value.username}` : ''}` : 'no credentials; anonymous'}`,
        );
        return value;
      } finally {
        this.pendingCredential = undefined;
      }
    })();
    return await this.pendingCredential;
  }

  /** The token for the host's whole scope set, fetched (once, shared) when there is none fresh. */
  private async token(first: readonly string[], signal: AbortSignal | undefined): Promise<Token> {
    if (this.auth.kind !== 'bearer') throw new ArchfitError('INTERNAL', 'token asked for a host without bearer auth');
    const challenge = this.auth.challenge;
    const key = this.scopes.key();
    const cached = this.tokens.get(key);
    if (cached && tokenIsFresh(cached, this.transport.clock.now())) return cached;
    let pending = this.pendingTokens.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const credential = await this.getCredential(signal);
          const token = await fetchToken(this.transport, {
            challenge,
            scopes: this.scopes.list(first),
            credential,
            oauthPasswordGrant: this.options.oauthPasswordGrant ?? false,
            signal,
          });
          // Only the token for the current (largest) scope set is worth keeping; a slower, smaller one is kept
          // beside it (a request still waiting for it may use it).
          if (key === this.scopes.key()) this.tokens = new Map([[key, token]]);
          else this.tokens.set(key, token);
          return token;
        } finally {
          this.pendingTokens.delete(key);
        }
      })();
      this.pendingTokens.set(key, pending);
    }
    return await pending;
  }

  /** The Authorization value for a request needing `scopes`, or undefined to go anonymous. */
  private async authorization(scopes: readonly string[], signal: AbortSignal | undefined): Promise<string | undefined> {
    if (this.auth.kind === 'none' || this.auth.kind === 'unknown') return undefined;
    const credential = await this.getCredential(signal);
    if (this.auth.kind === 'basic') {
      if (credential?.username !== undefined && credential.password !== undefined) {
        return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
      }
      return undefined;
    }
    if (credential?.registryToken) return `Bearer ${credential.registryToken}`;
    for (const s of scopes) this.scopes.add(s);
    const token = await this.token(scopes, signal);
    return `Bearer ${token.value}`;
  }

  /** Forgets the current token so the next request fetches a new one (after a 401 the caller could not repeat). */
  invalidateToken(): void {
    this.tokens.clear();
  }

  /** A request to this registry, authenticated for `scopes`; the response is returned whatever its status. */
  async request(req: HostRequest): Promise<HttpResponse> {
    const origin = await this.origin(req.signal);
    const url = req.url ?? new URL(req.path ?? '/v2/', origin);
    // Credentials go only to the registry itself, never to another host an upload Location names.
    const ownHost = sameOrigin(url, origin);
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      let sent: string | undefined;
      if (ownHost) {
        sent = await this.authorization(req.scopes, req.signal);
        if (sent !== undefined) headers['authorization'] = sent;
      }
      const res = await this.transport.send({
        method: req.method,
        url,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: req.signal,
        ...(req.retry !== undefined ? { retry: req.retry } : {}),
        ...(req.followRedirects !== undefined ? { followRedirects: req.followRedirects } : {}),
      });
      if (res.status !== 401 || !ownHost || attempt > 1) return res;
      const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
      const before = this.auth.kind;
      let retry = this.learn(challenges);
      if (sent?.startsWith('Bearer ') && this.auth.kind === 'bearer') {
        const credential = await this.getCredential(req.signal);
        if (credential?.registryToken) {
          // A static registry token cannot be renewed or widened: asking again would get the same answer.
          retry = before !== 'bearer';
        } else if (!retry) {
          // Same scopes, token refused: expired or revoked.
          this.invalidateToken();
          retry = true;
        }
      }
      if (!retry || !isReplayable(req.body)) return res;
      this.transport.log(`${req.method} ${redactUrl(url)}: 401, authenticating again`);
      await dump(res);
    }
  }

  /** Whether a credential is configured for this host (for hints in messages). */
  async hasCredential(signal?: AbortSignal): Promise<boolean> {
    return (await this.getCredential(signal)) !== undefined;
  }
}
