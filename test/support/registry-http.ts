// A deliberately small distribution-API client for test support (independent from src/registry): Basic and bearer
// auth (docker token flow), monolithic blob upload (POST then PUT ?digest=), manifest PUT/GET/HEAD. Used to push
// what skopeo would convert (Docker schema 2 manifests) and to look at a registry from the outside.
import { createHash } from 'node:crypto';
import { fetch, type Response } from 'undici';
import type { TestRegistry } from './registry.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryHttpClientOptions {
  /** Default: the registry's own account when it has one, else anonymous. */
  credentials?: RegistryCredentials | 'anonymous';
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Parses `Bearer realm="…",service="…",scope="…"` (or Basic) into its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([A-Za-z_]+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

export class RegistryHttpClient {
  readonly registry: TestRegistry;
  private readonly credentials: RegistryCredentials | undefined;
  private readonly tokens = new Map<string, string>();
  /** Token requests this client made. */
  tokenRequests = 0;

  constructor(registry: TestRegistry, options: RegistryHttpClientOptions = {}) {
    this.registry = registry;
    if (options.credentials === 'anonymous') this.credentials = undefined;
    else if (options.credentials) this.credentials = options.credentials;
    else if (registry.username !== undefined) {
      this.credentials = { username: registry.username, password: registry.password ?? '' };
    }
  }

  private basic(): string | undefined {
    if (!this.credentials) return undefined;
    const { username, password } = this.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private async token(params: Record<string, string>): Promise<string> {
    const key = `${params['service'] ?? ''} ${params['scope'] ?? ''}`;
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const realm = params['realm'];
    if (!realm) throw new Error('test registry client: bearer challenge without realm');
    const url = new URL(realm);
    if (params['service']) url.searchParams.set('service', params['service']);
    for (const s of (params['scope'] ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    const basic = this.basic();
    this.tokenRequests++;
    const res = await fetch(url, basic ? { headers: { authorization: basic } } : {});
    if (!res.ok) throw new Error(`test registry client: token request failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error('test registry client: token response without a token');
    this.tokens.set(key, token);
    return token;
  }

  /** A request to `path` (e.g. `/v2/foo/tags/list`, or an absolute upload URL), answering one auth challenge. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = /^https?:/.test(path) ? path : `${this.registry.url}${path}`;
    const send = (authorization?: string) =>
      fetch(url, {
        method,
        dispatcher: this.registry.dispatcher,
        headers: { ...(options.headers ?? {}), ...(authorization ? { authorization } : {}) },
        ...(options.body !== undefined ? { body: options.body } : {}),
      });
    const first = await send(this.registry.auth === 'htpasswd' ? this.basic() : undefined);
    if (first.status !== 401) return first;
    const header = first.headers.get('www-authenticate');
    await first.body?.cancel();
    if (!header) return first;
    const challenge = parseChallenge(header);
    if (challenge.scheme === 'basic') return send(this.basic());
    if (challenge.scheme === 'bearer') return send(`Bearer ${await this.token(challenge.params)}`);
    return first;
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`);
    await res.body?.cancel();
    return res.status === 200;
  }

  /** Monolithic upload: POST, then PUT to the Location with `digest`. Skipped when the blob is already there. */
  async pushBlob(repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(bytes);
    if (await this.hasBlob(repo, digest)) return { digest, size: bytes.length };
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) {
      throw new Error(`test registry client: upload start for ${repo} answered ${start.status}`);
    }
    const url = new URL(location, `${this.registry.url}/v2/${repo}/blobs/uploads/`);
    url.searchParams.set('digest', digest);
    const put = await this.request('PUT', url.toString(), {
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const text = await put.text();
    if (put.status !== 201) throw new Error(`test registry client: blob PUT answered ${put.status}: ${text}`);
    return { digest, size: bytes.length };
  }

  /** PUTs a manifest under a tag or digest; returns the digest of the bytes sent. */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`test registry client: manifest PUT answered ${res.status}: ${text}`);
    return sha256(bytes);
  }

  /** GETs a manifest's raw bytes, its Content-Type and the digest of the bytes received. */
  async getManifest(
    repo: string,
    reference: string,
    accept: readonly string[] = ALL_MANIFEST_TYPES,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string; headerDigest: string | null }> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, {
      headers: { accept: accept.join(', ') },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`test registry client: manifest GET answered ${res.status}: ${bytes}`);
    return {
      bytes,
      mediaType: res.headers.get('content-type') ?? '',
      digest: sha256(bytes),
      headerDigest: res.headers.get('docker-content-digest'),
    };
  }
}

export const ALL_MANIFEST_TYPES: readonly string[] = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** What `pushDockerImage` pushes: blobs (config, layers) and the manifest bytes as they are. */
export interface RawImage {
  manifest: Buffer;
  mediaType: string;
  blobs: readonly Buffer[];
}

/**
 * Pushes an image as-is over plain HTTP (blobs, then the manifest under `tag`): no conversion, so a Docker schema 2
 * manifest stays one. Returns the manifest digest.
 */
export async function pushDockerImage(
  registry: TestRegistry,
  repo: string,
  tag: string,
  image: RawImage,
  options: RegistryHttpClientOptions = {},
): Promise<string> {
  const client = new RegistryHttpClient(registry, options);
  for (const blob of image.blobs) await client.pushBlob(repo, blob);
  return client.putManifest(repo, tag, image.manifest, image.mediaType);
}
