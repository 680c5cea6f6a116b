// Amazon ECR tokens for ECR registry hosts: GetAuthorizationToken, decoded from base64 "AWS:<password>", kept per
// registry (account, region) until shortly before it expires. The AWS SDK is loaded only when an ECR host is looked
// up (see aws-sdk.ts). What AWS errors say is reduced to their name and first line, with anything that looks like a
// key or token removed: a signature mismatch message, for one, can quote the signed request.
import { ArchfitError, isArchfitError, quote } from '../../errors.js';
import type { Credential } from '../credential-types.js';
import { timedSignal } from './abort.js';
import { endpointFromEnv, sdkEcrApi } from './aws-sdk.js';
import type { AwsCredentials, AwsCredentialsProvider, EcrApi, EcrApiFactory } from './ecr-api.js';
import { type EcrHost, parseEcrHost } from './ecr-host.js';
import { LookupCache } from './lookup-cache.js';
import type { EnvVars, RepositoryCredentialStore, RepositoryLookupOptions } from './types.js';

export interface EcrOptions {
  /** Environment: AWS_* variables (see aws-sdk.ts for which ones the SDK is given). */
  env: EnvVars;
  /** Home directory for ~/.aws/config and ~/.aws/credentials; undefined: the SDK's own idea of it. */
  homeDir?: string;
  /** Makes the ECR API client; default: the AWS SDK v3, loaded on first use. */
  createApi?: EcrApiFactory;
  /** AWS credentials to use instead of the environment and the default chain. */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /** The ECR API endpoint; default AWS_ENDPOINT_URL_ECR, else AWS_ENDPOINT_URL from `env`, else AWS's. */
  endpoint?: string;
  /** Time limit for one ECR call, credential resolution included; default 60 000 ms. */
  timeoutMs?: number;
}

export interface EcrCredentialsOptions extends EcrOptions {
  /** The clock, in epoch milliseconds; default Date.now. */
  now?: () => number;
  /** A token is fetched again this long before it expires; default 15 minutes (tokens last 12 hours). */
  refreshMarginMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_REFRESH_MARGIN_MS = 15 * 60_000;

/** Text fit for a message from whatever an AWS call threw. */
function describeAwsError(
  error: unknown,
  secrets: readonly string[],
): { text: string; details: Record<string, unknown> } {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const name = typeof fields['name'] === 'string' ? fields['name'] : 'Error';
  const message = typeof fields['message'] === 'string' ? fields['message'] : String(error);
  const firstLine = (message.split('\n')[0] ?? '').trim().slice(0, 300);
  let safe = firstLine;
  for (const secret of secrets) if (secret.length >= 8) safe = safe.split(secret).join('[redacted]');
  // Secret keys are 40 base64 characters and session tokens hundreds: any run that long goes, whoever's it is.
  safe = safe.replace(/[A-Za-z0-9+/=]{40,}/g, '[redacted]');
  const metadata = fields['$metadata'] as { httpStatusCode?: unknown; requestId?: unknown } | undefined;
  const details: Record<string, unknown> = { awsError: name };
  if (typeof metadata?.httpStatusCode === 'number') details['httpStatus'] = metadata.httpStatusCode;
  if (typeof metadata?.requestId === 'string') details['requestId'] = metadata.requestId;
  const noCredentials = name === 'CredentialsProviderError';
  const hint = noCredentials
    ? '; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with "aws sso login"'
    : '';
  const text = safe === '' || safe === name ? name : `${name}: ${safe}`;
  return { text: noCredentials ? `no AWS credentials (${text})${hint}` : text, details };
}

/** The AWS secrets this call may have used that are known up front, to scrub from messages. */
function knownSecrets(options: EcrOptions): string[] {
  const given = typeof options.credentials === 'object' ? options.credentials : undefined;
  const values = [
    given?.secretAccessKey,
    given?.sessionToken,
    options.env['AWS_SECRET_ACCESS_KEY'],
    options.env['AWS_SESSION_TOKEN'],
  ];
  return values.filter((value): value is string => typeof value === 'string' && value !== '');
}

/** Runs one ECR call with a fresh API client, a time limit, and errors turned into ECR_ERROR. */
async function callEcr<T>(
  what: string,
  host: string,
  parsed: EcrHost,
  options: EcrOptions,
  signal: AbortSignal | undefined,
  call: (api: EcrApi, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timed = timedSignal(
    signal,
    timeoutMs,
    () => new ArchfitError('ECR_ERROR', `${what} for ${quote(host)}: no answer within ${timeoutMs / 1000} s`),
  );
  const endpoint = options.endpoint ?? endpointFromEnv(options.env);
  let api: EcrApi | undefined;
  try {
    api = await (options.createApi ?? sdkEcrApi)({
      region: parsed.region,
      fips: parsed.fips && endpoint === undefined,
      endpoint,
      credentials: options.credentials,
      env: options.env,
      homeDir: options.homeDir,
    });
    timed.signal.throwIfAborted();
    return await call(api, timed.signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timed.signal.aborted && isArchfitError(timed.signal.reason)) throw timed.signal.reason;
    if (isArchfitError(error)) throw error;
    const { text, details } = describeAwsError(error, knownSecrets(options));
    // The SDK's error is not kept as the cause: a response it could not parse travels with it, and that response may
    // be the token.
    throw new ArchfitError('ECR_ERROR', `${what} for ${quote(host)} failed: ${text}`, {
      details: { ...details, host, region: parsed.region, accountId: parsed.accountId },
    });
  } finally {
    timed.dispose();
    api?.close?.();
  }
}

function decodeToken(token: string, host: string): { username: string; password: string } {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    throw new ArchfitError(
      'ECR_ERROR',
      `ECR returned an authorization token for ${quote(host)} that is not base64 of user:password`,
    );
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A CredentialStore for Amazon ECR registry hosts (see parseEcrHost): a token from GetAuthorizationToken, as
 * `{ username: 'AWS', password, expiresAt }`. Undefined for any other host. Tokens are kept per (account, region)
 * on this instance until `refreshMarginMs` before they expire; concurrent lookups share one request.
 */
export function ecrCredentials(options: EcrCredentialsOptions): RepositoryCredentialStore {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const cache = new LookupCache<Credential>(now);
  return {
    async get(host: string, lookup: RepositoryLookupOptions = {}): Promise<Credential | undefined> {
      const parsed = parseEcrHost(host);
      if (!parsed) return undefined;
      const key = `${parsed.accountId}/${parsed.region}${parsed.fips ? '/fips' : ''}`;
      const credential = await cache.get(key, lookup.signal, async (signal) => {
        const token = await callEcr('getting an ECR token', host, parsed, options, signal, (api, s) =>
          api.getAuthorizationToken({ signal: s }),
        );
        const value: Credential = decodeToken(token.authorizationToken, host);
        if (token.expiresAt) value.expiresAt = token.expiresAt;
        // Without an expiry the token is used once and not kept.
        const validUntil = token.expiresAt ? token.expiresAt.getTime() - margin : 0;
        return { value, validUntil };
      });
      return { ...credential };
    },
  };
}

export interface CreateEcrRepositoryOptions extends EcrOptions {
  /** An ECR registry host, e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com". */
  host: string;
  /** The repository path in that registry, e.g. "team/app". */
  repository: string;
  signal?: AbortSignal;
}

/** Creates an ECR repository (for copy --create-repository); one that already exists is success, `created: false`. */
export async function createEcrRepository(options: CreateEcrRepositoryOptions): Promise<{ created: boolean }> {
  const parsed = parseEcrHost(options.host);
  if (!parsed) {
    throw new ArchfitError('INVALID_ARGUMENT', `${quote(options.host)} is not an Amazon ECR registry host`, {
      details: { host: options.host },
    });
  }
  const repository = options.repository.replace(/^\/+|\/+$/g, '');
  return callEcr(
    `creating ECR repository ${quote(repository)}`,
    options.host,
    parsed,
    options,
    options.signal,
    (api, signal) => api.createRepository(repository, { signal }),
  );
}
