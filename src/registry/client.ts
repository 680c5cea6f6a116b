// The distribution API as a ContentStore: a RegistryClient holds the transport, the redactor and one RegistryHost per
// registry; `repository()` gives the store of one repository. Raw manifest bytes are the truth (the digest is their
// hash, checked against the digest asked for and against Docker-Content-Digest); blobs stream verified at EOF.
import type { Readable } from 'node:stream';
import { type Digest, digestAlgorithm, digestHex, digestOf, isDigest, verifyBytes } from '../digest/index.js';
import { ArchfitError, isArchfitError, quote } from '../errors.js';
import {
  type Descriptor,
  type FetchedManifest,
  isManifestMediaType,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  MediaType,
  parseManifest,
} from '../image/index.js';
import type {
  BlobSource,
  ContentStore,
  GetManifestOptions,
  PushBlobOptions,
  PutManifestOptions,
  StoreCallOptions,
} from '../image/store.js';
import { repositoryScope } from './auth.js';
import { resumableBlobStream } from './blob-stream.js';
import { discard, readCapped } from './body.js';
import type { CredentialStore } from './credential-types.js';
import {
  allowsPlainHttp,
  checkRepository,
  checkTag,
  type EndpointOptions,
  isEcrHost,
  isTag,
  resolveEndpoint,
} from './endpoint.js';
import { isRetryable, MAX_ERROR_BODY, type ResourceKind, statusError, transportError } from './errors.js';
import { RegistryHost } from './host.js';
import { Redactor, redactUrl } from './redact.js';
import { parseRetryAfter } from './retry.js';
import { dump, type HttpResponse, Transport, type TransportOptions } from './transport.js';
import { pushBlob } from './upload.js';
import { header, nextLink, parseSafeInteger, resolveLocation, sameOrigin, withQuery } from './url.js';

export interface RegistryClientOptions extends TransportOptions, EndpointOptions {
  /** Where credentials come from; without it every registry is used anonymously. */
  credentials?: CredentialStore;
  /** Ask token servers with the OAuth2 password grant (POST) instead of GET with Basic. Default false. */
  oauthPasswordGrant?: boolean;
  /** 'auto' (default): a monolithic PUT, then chunks if the registry refuses it. */
  uploadMode?: 'auto' | 'monolithic' | 'chunked';
  /** Bytes per PATCH in chunked uploads (raised to the registry's OCI-Chunk-Min-Length). Default 16 MiB. */
  chunkSize?: number;
  /** Tags per page (`n`); default: the registry's own, and 1000 on ECR (its maximum). */
  tagPageSize?: number;
}

/** Tag lists are read up to this size per page. */
export const MAX_TAG_LIST_BYTES = 16 * 1024 * 1024;
const MAX_PAGES = 10_000;
const REFERRERS_ACCEPT = MediaType.OciIndex;

export class RegistryClient {
  readonly transport: Transport;
  readonly redactor: Redactor;
  private readonly options: RegistryClientOptions;
  private readonly hosts = new Map<string, RegistryHost>();

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.redactor = new Redactor();
    const insecure = options.insecureRegistries ?? [];
    this.transport = new Transport(options, {
      redactor: this.redactor,
      urlPolicy: {
        allowHttp: (host) =>
          allowsPlainHttp(host, insecure) ||
          [...this.hosts.values()].some((h) => h.endpoint.host === host && h.endpoint.allowHttp),
      },
    });
  }

  /** The host state for a registry name (shared by every repository of it in this client). */
  host(registry: string): RegistryHost {
    const endpoint = resolveEndpoint(registry, this.options);
    const key = `${endpoint.name} ${endpoint.host}`;
    let host = this.hosts.get(key);
    if (!host) {
      host = new RegistryHost(endpoint, this.transport, {
        credentials: this.options.credentials,
        oauthPasswordGrant: this.options.oauthPasswordGrant,
      });
      this.hosts.set(key, host);
    }
    return host;
  }

  /** The store of one repository: `repository('127.0.0.1:5000', 'team/app')`. */
  repository(registry: string, repository: string): RegistryRepository {
    return new RegistryRepository(this.host(registry), checkRepository(repository), this.options);
  }

  /** The same from a parsed reference (anything with `registry` and `repository`). */
  repositoryFor(reference: { registry: string; repository: string }): RegistryRepository {
    return this.repository(reference.registry, reference.repository);
  }

  /** Closes the connections of the client's own Agent (an injected dispatcher is left open). */
  async close(): Promise<void> {
    await this.transport.close();
  }
}

interface ManifestRef {
  /** What goes into the URL. */
  value: string;
  digest?: Digest;
}

function manifestRef(reference: string): ManifestRef {
  if (isDigest(reference)) return { value: reference, digest: reference };
  if (reference.includes(':')) {
    throw new ArchfitError('INVALID_DIGEST', `invalid digest ${quote(reference)}`);
  }
  return { value: checkTag(reference) };
}

function checkDescriptor(descriptor: Descriptor): void {
  if (!isDigest(descriptor.digest)) {
    throw new ArchfitError('INVALID_DIGEST', `invalid digest ${quote(descriptor.digest)}`);
  }
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw new ArchfitError(
      'INVALID_ARGUMENT',
      `descriptor ${descriptor.digest}: size ${quote(descriptor.size)} is not a non-negative safe integer`,
    );
  }
}

/** A Docker-Content-Digest value, normalised ("sha256:" added to bare hex); undefined when unusable. */
function headerDigest(res: HttpResponse): Digest | undefined {
  const raw = header(res.headers, 'docker-content-digest')?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = /^[0-9a-f]{64}$/.test(raw) ? `sha256:${raw}` : raw;
  return isDigest(value) ? value : undefined;
}

function normaliseMediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.split(';')[0]!.trim().toLowerCase() || undefined;
}

export class RegistryRepository implements ContentStore {
  readonly description: string;
  readonly writable = true;
  readonly host: RegistryHost;
  /** The registry name as given (after lowercasing): "docker.io", "127.0.0.1:5000". */
  readonly registry: string;
  readonly repository: string;
  private readonly options: RegistryClientOptions;

  constructor(host: RegistryHost, repository: string, options: RegistryClientOptions) {
    this.host = host;
    this.registry = host.endpoint.name;
    this.repository = repository;
    this.options = options;
    this.description = `${host.endpoint.name}/${repository}`;
  }

  private get transport(): Transport {
    return this.host.transport;
  }

  get pullScope(): string {
    return repositoryScope(this.repository, ['pull']);
  }

  get pushScope(): string {
    return repositoryScope(this.repository, ['pull', 'push']);
  }

  /** The error for a failed response, with the registry's own message read from the body (capped). */
  async fail(res: HttpResponse, method: string, kind: ResourceKind): Promise<ArchfitError> {
    let body: Uint8Array | undefined;
    if (method === 'HEAD') await dump(res);
    else body = await readCapped(res.body, MAX_ERROR_BODY, { truncate: true }).catch(() => undefined);
    let hint: string | undefined;
    if (res.status === 401) {
      hint = (await this.host.hasCredential().catch(() => false))
        ? `(the credentials for ${this.host.endpoint.name} were not accepted)`
        : `(no credentials for ${this.host.endpoint.name})`;
    } else if (res.status === 429) {
      const after = parseRetryAfter(header(res.headers, 'retry-after'), this.transport.clock.now());
      if (after !== undefined) hint = `(the registry asks to wait ${Math.round(after / 1000)} s)`;
    }
    return statusError({
      method,
      url: res.url,
      status: res.status,
      statusText: res.statusText,
      ...(body ? { body } : {}),
      kind,
      redactor: this.transport.redactor,
      ...(hint ? { hint } : {}),
    });
  }

  private manifestPath(ref: string): string {
    return `/v2/${this.repository}/manifests/${ref}`;
  }

  private blobPath(digest: Digest): string {
    return `/v2/${this.repository}/blobs/${digest}`;
  }

  async resolve(reference: string, options: StoreCallOptions = {}): Promise<Descriptor> {
    const ref = manifestRef(reference);
    const res = await this.host.request({
      method: 'HEAD',
      path: this.manifestPath(ref.value),
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [this.pullScope],
      kind: 'manifest',
      signal: options.signal,
    });
    if (res.status === 405 || res.status === 501 || res.status === 400) {
      await dump(res);
      this.transport.log(`HEAD ${redactUrl(res.url)}: HTTP ${res.status}; resolving with GET`);
      return (await this.getManifest(reference, options)).descriptor;
    }
    if (res.status !== 200) throw await this.fail(res, 'HEAD', 'manifest');
    await dump(res);
    const fromHeader = headerDigest(res);
    if (ref.digest && fromHeader && digestAlgorithm(fromHeader) === digestAlgorithm(ref.digest)) {
      if (fromHeader !== ref.digest) {
        throw new ArchfitError(
          'DIGEST_MISMATCH',
          `HEAD ${redactUrl(res.url)}: Docker-Content-Digest ${fromHeader} is not the digest asked for`,
          { details: { expected: ref.digest, actual: fromHeader } },
        );
      }
    }
    const digest = ref.digest ?? fromHeader;
    const size = parseSafeInteger(res.headers['content-length']);
    const mediaType = normaliseMediaType(header(res.headers, 'content-type'));
    if (digest === undefined || size === undefined || !isManifestMediaType(mediaType)) {
      // Not enough from the headers (no digest, no length, an odd Content-Type): fetch and hash.
      return (await this.getManifest(reference, options)).descriptor;
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new ArchfitError(
        'SIZE_LIMIT',
        `HEAD ${redactUrl(res.url)}: the manifest is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    return { mediaType: mediaType!, digest, size };
  }

  async getManifest(reference: string, options: GetManifestOptions = {}): Promise<FetchedManifest> {
    const ref = manifestRef(reference);
    const expected = options.expected;
    if (expected) {
      checkDescriptor(expected);
      if (ref.digest && ref.digest !== expected.digest) {
        throw new ArchfitError(
          'INVALID_ARGUMENT',
          `getManifest(${quote(reference)}): the expected descriptor is ${expected.digest}`,
        );
      }
    }
    // A connection that breaks in the middle of the body is retried like one that breaks before the headers.
    const budget = this.transport.budget();
    let res: HttpResponse;
    let bytes: Buffer;
    let source: string;
    while (true) {
      res = await this.host.request({
        method: 'GET',
        path: this.manifestPath(ref.value),
        headers: { accept: MANIFEST_ACCEPT },
        scopes: [this.pullScope],
        kind: 'manifest',
        signal: options.signal,
      });
      if (res.status !== 200) throw await this.fail(res, 'GET', 'manifest');
      source = `GET ${redactUrl(res.url)}`;
      const limit = expected ? expected.size : MAX_MANIFEST_BYTES;
      const where = source;
      const tooLong = () =>
        expected
          ? new ArchfitError(
              'SIZE_MISMATCH',
              `${where}: the manifest is longer than the expected ${expected.size} bytes`,
              {
                details: { expected: expected.size },
              },
            )
          : new ArchfitError('SIZE_LIMIT', `${where}: the manifest is over the ${MAX_MANIFEST_BYTES}-byte limit`, {
              details: { limit: MAX_MANIFEST_BYTES },
            });
      if (expected && expected.size > MAX_MANIFEST_BYTES) {
        discard(res.body);
        throw new ArchfitError(
          'SIZE_LIMIT',
          `${source}: the descriptor says ${expected.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit for manifests`,
        );
      }
      const declared = parseSafeInteger(res.headers['content-length']);
      if (declared !== undefined && declared > limit) {
        discard(res.body);
        throw tooLong();
      }
      const answered = res.url;
      try {
        bytes = await readCapped(res.body, limit, {
          tooLong,
          mapError: (e) => transportError('GET', answered, e, this.transport.redactor),
        });
        break;
      } catch (error) {
        if (options.signal?.aborted || !isRetryable(error)) throw error;
        const wait = budget.next();
        if (wait === undefined) throw error;
        this.transport.log(
          `${source}: body interrupted (${(error as ArchfitError).code}); retry ${budget.attempts}/${this.transport.policy.maxAttempts} in ${wait} ms`,
        );
        await this.transport.sleep(wait, options.signal, 'GET', answered);
      }
    }
    const wanted = ref.digest ?? expected?.digest;
    if (wanted) verifyBytes(bytes, wanted, source);
    if (expected && bytes.byteLength !== expected.size) {
      throw new ArchfitError(
        'SIZE_MISMATCH',
        `${source}: the manifest is ${bytes.byteLength} bytes, expected ${expected.size}`,
        { details: { expected: expected.size, received: bytes.byteLength } },
      );
    }
    const fromHeader = headerDigest(res);
    if (fromHeader) {
      const actual = digestOf(bytes, digestAlgorithm(fromHeader));
      if (actual !== fromHeader) {
        throw new ArchfitError(
          'DIGEST_MISMATCH',
          `${source}: Docker-Content-Digest says ${fromHeader} but the bytes hash to ${actual}`,
          { details: { expected: fromHeader, actual } },
        );
      }
    }
    const contentType = normaliseMediaType(header(res.headers, 'content-type'));
    const parsed = parseManifest(bytes, {
      contentType: isManifestMediaType(contentType) ? contentType : (expected?.mediaType ?? contentType),
      source,
    });
    // The entry that pointed here must say what the bytes are (as an OCI layout reads it): a mislabelled child would
    // otherwise be copied under its parent's wrong label.
    if (expected && isManifestMediaType(expected.mediaType) && expected.mediaType !== parsed.mediaType) {
      throw new ArchfitError(
        'MANIFEST_INVALID',
        `${source}: the index entry says ${quote(expected.mediaType)} but the manifest is ${quote(parsed.mediaType)}`,
      );
    }
    const digest = wanted ?? digestOf(bytes);
    return {
      descriptor: { ...(expected ?? {}), mediaType: parsed.mediaType, digest, size: bytes.byteLength },
      bytes,
      parsed,
    };
  }

  async hasManifest(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    checkDescriptor(descriptor);
    return this.exists(this.manifestPath(descriptor.digest), 'manifest', options.signal, { accept: MANIFEST_ACCEPT });
  }

  async putManifest(bytes: Uint8Array, mediaType: string, options: PutManifestOptions = {}): Promise<Descriptor> {
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new ArchfitError(
        'SIZE_LIMIT',
        `${this.description}: the manifest is ${bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    if (!/^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*$/.test(mediaType)) {
      throw new ArchfitError('INVALID_ARGUMENT', `invalid manifest media type ${quote(mediaType)}`);
    }
    const tag = options.tag === undefined ? undefined : checkTag(options.tag);
    const digest = digestOf(bytes);
    await this.putManifestAt(digest, digest, bytes, mediaType, options.signal);
    if (tag !== undefined) await this.putManifestAt(tag, digest, bytes, mediaType, options.signal);
    return { mediaType, digest, size: bytes.byteLength };
  }

  private async putManifestAt(
    ref: string,
    digest: Digest,
    bytes: Uint8Array,
    mediaType: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const res = await this.host.request({
      method: 'PUT',
      path: this.manifestPath(ref),
      headers: { 'content-type': mediaType },
      body: bytes,
      scopes: [this.pushScope],
      kind: 'manifest',
      signal,
      // The same bytes to the same name: repeating is harmless.
      retry: true,
    });
    if (res.status < 200 || res.status > 299) throw await this.fail(res, 'PUT', 'manifest');
    await dump(res);
    const fromHeader = headerDigest(res);
    if (fromHeader && digestAlgorithm(fromHeader) === 'sha256' && fromHeader !== digest) {
      throw new ArchfitError(
        'DIGEST_MISMATCH',
        `PUT ${redactUrl(res.url)}: the registry stored the manifest as ${fromHeader}, expected ${digest}`,
        { details: { expected: digest, actual: fromHeader } },
      );
    }
  }

  async hasBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<boolean> {
    checkDescriptor(descriptor);
    return this.exists(this.blobPath(descriptor.digest), 'blob', options.signal);
  }

  /** HEAD: 200 is there, 404 is not, anything else is an error. */
  private async exists(
    path: string,
    kind: 'manifest' | 'blob',
    signal: AbortSignal | undefined,
    headers?: Record<string, string>,
  ): Promise<boolean> {
    const res = await this.host.request({
      method: 'HEAD',
      path,
      ...(headers ? { headers } : {}),
      scopes: [this.pullScope],
      kind,
      signal,
    });
    if (res.status === 200 || res.status === 404) {
      await dump(res);
      return res.status === 200;
    }
    throw await this.fail(res, 'HEAD', kind);
  }

  async openBlob(descriptor: Descriptor, options: StoreCallOptions = {}): Promise<Readable> {
    checkDescriptor(descriptor);
    const { digest, size } = descriptor;
    const path = this.blobPath(digest);
    const get = async (offset: number): Promise<HttpResponse> => {
      const res = await this.host.request({
        method: 'GET',
        path,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        scopes: [this.pullScope],
        kind: 'blob',
        signal: options.signal,
      });
      if (res.status === 200 || (offset > 0 && res.status === 206)) return res;
      throw await this.fail(res, 'GET', 'blob');
    };
    const first = await get(0);
    const origin = await this.host.origin(options.signal);
    const source = `GET ${redactUrl(new URL(path, origin))}`;
    const declared = parseSafeInteger(first.headers['content-length']);
    if (declared !== undefined && declared !== size) {
      discard(first.body);
      throw new ArchfitError(
        'SIZE_MISMATCH',
        `${source}: Content-Length ${declared} but the descriptor says ${size} bytes`,
        { details: { expected: size, received: declared, digest } },
      );
    }
    return resumableBlobStream({
      transport: this.transport,
      digest,
      size,
      first,
      reopen: get,
      source,
      signal: options.signal,
    });
  }

  async pushBlob(descriptor: Descriptor, source: BlobSource, options: PushBlobOptions = {}): Promise<void> {
    checkDescriptor(descriptor);
    await pushBlob(this, descriptor, source, {
      mode: this.options.uploadMode ?? 'auto',
      chunkSize: this.options.chunkSize ?? 16 * 1024 * 1024,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      signal: options.signal,
    });
  }

  canMount(other: ContentStore): boolean {
    return other instanceof RegistryRepository && other.host === this.host && other.repository !== this.repository;
  }

  /** Cross-repository mount; false (never an error, except cancellation) when the registry does not mount. */
  async mountBlob(descriptor: Descriptor, other: ContentStore, options: StoreCallOptions = {}): Promise<boolean> {
    checkDescriptor(descriptor);
    if (!this.canMount(other)) return false;
    const from = (other as RegistryRepository).repository;
    const origin = await this.host.origin(options.signal);
    const url = withQuery(new URL(`/v2/${this.repository}/blobs/uploads/`, origin), {
      mount: descriptor.digest,
      from,
    });
    try {
      const res = await this.host.request({
        method: 'POST',
        url,
        body: '',
        scopes: [this.pushScope, repositoryScope(from, ['pull'])],
        kind: 'upload',
        signal: options.signal,
        retry: true,
      });
      if (res.status === 201) {
        await dump(res);
        this.transport.log(`mounted ${descriptor.digest} from ${from} into ${this.repository}`);
        return true;
      }
      if (res.status === 202) {
        // The registry started an ordinary upload instead: cancel it, the caller uploads.
        await dump(res);
        const location = header(res.headers, 'location');
        if (location) await this.cancelUpload(resolveLocation(location, res.url, this.transport.urlPolicy));
        this.transport.log(`mount of ${descriptor.digest} from ${from} refused (202: upload started, cancelled)`);
        return false;
      }
      const error = await this.fail(res, 'POST', 'upload');
      this.transport.log(`mount of ${descriptor.digest} from ${from} refused: ${error.message}`);
      return false;
    } catch (error) {
      if (options.signal?.aborted || isArchfitError(error, 'ABORTED')) throw error;
      this.transport.log(`mount of ${descriptor.digest} from ${from} failed: ${(error as Error).message}`);
      return false;
    }
  }

  /** Cancels an upload session (DELETE on its Location); failures are only logged. */
  async cancelUpload(location: URL): Promise<void> {
    try {
      const res = await this.host.request({
        method: 'DELETE',
        url: location,
        scopes: [this.pushScope],
        kind: 'upload',
        signal: AbortSignal.timeout(10_000),
        retry: false,
      });
      await dump(res);
    } catch (error) {
      this.transport.log(`cancelling upload ${redactUrl(location)} failed: ${(error as Error).message}`);
    }
  }

  async listTags(options: StoreCallOptions & { pageSize?: number } = {}): Promise<string[]> {
    let pageSize = options.pageSize ?? this.options.tagPageSize;
    if (isEcrHost(this.registry)) pageSize = Math.min(pageSize ?? 1000, 1000);
    const origin = await this.host.origin(options.signal);
    let url = withQuery(new URL(`/v2/${this.repository}/tags/list`, origin), { n: pageSize });
    const seen = new Set<string>();
    const tags: string[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      seen.add(url.href);
      const res = await this.host.request({
        method: 'GET',
        url,
        headers: { accept: 'application/json' },
        scopes: [this.pullScope],
        kind: 'tags',
        signal: options.signal,
      });
      if (res.status !== 200) throw await this.fail(res, 'GET', 'tags');
      const source = `GET ${redactUrl(res.url)}`;
      const bytes = await readCapped(res.body, MAX_TAG_LIST_BYTES, {
        what: 'tag list',
        source,
        mapError: (e) => transportError('GET', res.url, e, this.transport.redactor),
      });
      let doc: unknown;
      try {
        doc = JSON.parse(bytes.toString('utf8'));
      } catch (cause) {
        throw new ArchfitError('REGISTRY_ERROR', `${source}: the tag list is not JSON`, { cause });
      }
      const list = (doc as { tags?: unknown } | null)?.tags;
      if (list !== null && list !== undefined) {
        if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
          throw new ArchfitError('REGISTRY_ERROR', `${source}: "tags" is not a list of strings`);
        }
        for (const t of list as string[]) if (isTag(t)) tags.push(t);
      }
      const next = nextLink(res.headers['link']);
      if (next === undefined) return tags;
      const nextUrl = resolveLocation(next, res.url, this.transport.urlPolicy, 'Link');
      if (!sameOrigin(nextUrl, origin)) {
        throw new ArchfitError('REGISTRY_ERROR', `${source}: the next page is on another host (${redactUrl(nextUrl)})`);
      }
      if (seen.has(nextUrl.href)) {
        throw new ArchfitError('REGISTRY_ERROR', `${source}: the tag list pages loop back to ${redactUrl(nextUrl)}`);
      }
      url = nextUrl;
    }
    throw new ArchfitError('REGISTRY_ERROR', `${this.description}: more than ${MAX_PAGES} pages of tags`);
  }

  /**
   * Manifests that refer to `subject` (signatures, SBOMs, attestations): the referrers API, or the `sha256-<hex>` tag
   * of the fallback tag schema when the registry has no referrers API (404).
   */
  async listReferrers(
    subject: Digest,
    options: StoreCallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    if (!isDigest(subject)) throw new ArchfitError('INVALID_DIGEST', `invalid digest ${quote(subject)}`);
    const origin = await this.host.origin(options.signal);
    let url = withQuery(new URL(`/v2/${this.repository}/referrers/${subject}`, origin), {
      artifactType: options.artifactType,
    });
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    for (let page = 0; page < MAX_PAGES; page++) {
      seen.add(url.href);
      const res = await this.host.request({
        method: 'GET',
        url,
        headers: { accept: REFERRERS_ACCEPT },
        scopes: [this.pullScope],
        kind: 'referrers',
        signal: options.signal,
      });
      if (res.status === 404 && page === 0) {
        await dump(res);
        return await this.referrersByTag(subject, options);
      }
      if (res.status !== 200) throw await this.fail(res, 'GET', 'referrers');
      const source = `GET ${redactUrl(res.url)}`;
      const bytes = await readCapped(res.body, MAX_MANIFEST_BYTES, {
        what: 'referrers index',
        source,
        mapError: (e) => transportError('GET', res.url, e, this.transport.redactor),
      });
      const parsed = parseManifest(bytes, { contentType: header(res.headers, 'content-type'), source });
      if (parsed.kind !== 'index') throw new ArchfitError('REGISTRY_ERROR', `${source}: the answer is not an index`);
      const filtered = (header(res.headers, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim());
      out.push(...filterArtifactType(parsed.index.manifests, options.artifactType, filtered.includes('artifactType')));
      const next = nextLink(res.headers['link']);
      if (next === undefined) return out;
      const nextUrl = resolveLocation(next, res.url, this.transport.urlPolicy, 'Link');
      if (!sameOrigin(nextUrl, origin) || seen.has(nextUrl.href)) {
        throw new ArchfitError('REGISTRY_ERROR', `${source}: bad next page ${redactUrl(nextUrl)}`);
      }
      url = nextUrl;
    }
    throw new ArchfitError('REGISTRY_ERROR', `${this.description}: more than ${MAX_PAGES} pages of referrers`);
  }

  private async referrersByTag(
    subject: Digest,
    options: StoreCallOptions & { artifactType?: string },
  ): Promise<Descriptor[]> {
    const tag = `${digestAlgorithm(subject)}-${digestHex(subject).slice(0, 64)}`;
    this.transport.log(`${this.description}: no referrers API; reading the fallback tag ${tag}`);
    try {
      const fetched = await this.getManifest(tag, options.signal ? { signal: options.signal } : {});
      if (fetched.parsed.kind !== 'index') return [];
      return filterArtifactType(fetched.parsed.index.manifests, options.artifactType, false);
    } catch (error) {
      if (isArchfitError(error, 'MANIFEST_UNKNOWN') || isArchfitError(error, 'NAME_UNKNOWN')) return [];
      throw error;
    }
  }

  /** Repositories share their client's connections: closing one is a no-op (close the client instead). */
  async close(): Promise<void> {}
}

function filterArtifactType(manifests: Descriptor[], artifactType: string | undefined, applied: boolean): Descriptor[] {
  if (artifactType === undefined || applied) return manifests;
  return manifests.filter((m) => m.artifactType === artifactType);
}
