// The default EcrApi: the AWS SDK v3, imported only here and only when an ECR host is used (it adds 70-120 ms to a
// start-up), never at module load.
//
// The SDK reads process.env by itself; this file makes it see the environment that was passed in instead, as far as
// the SDK allows:
// - region: from the registry host, never AWS_REGION;
// - endpoint: AWS_ENDPOINT_URL_ECR, else AWS_ENDPOINT_URL, from the passed env (unless its
//   AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true"), and the SDK is told to ignore configured endpoints itself;
// - FIPS / dual-stack endpoints, retry count and mode: from the host and the passed env;
// - credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the passed env when AWS_PROFILE is
//   not set there (the SDK's own precedence); otherwise the SDK's default chain (fromNodeProviderChain: profile, SSO,
//   credential_process, web identity, container and instance roles) with profile, config and credentials file paths
//   and web identity settings taken from the passed env and home directory. Left to process.env by the SDK: the
//   container credential URIs, the instance metadata settings, and the SSO token cache location (under $HOME).
// In the CLI the passed env is process.env, so all of this is what the AWS CLI would do.
import { join } from 'node:path';
import { ArchfitError } from '../../errors.js';
import type { AwsCredentials, AwsCredentialsProvider, EcrApi, EcrClientConfig } from './ecr-api.js';
import { type EnvVars, envValue } from './types.js';

const QUIET_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The ECR API endpoint the passed environment asks for, if any. */
export function endpointFromEnv(env: EnvVars): string | undefined {
  if (envValue(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')?.toLowerCase() === 'true') return undefined;
  return envValue(env, 'AWS_ENDPOINT_URL_ECR') ?? envValue(env, 'AWS_ENDPOINT_URL');
}

/** AWS credentials as the passed environment and home directory define them (see the file comment). */
export function credentialsFromEnv(
  env: EnvVars,
  homeDir: string | undefined,
  region: string,
): AwsCredentials | AwsCredentialsProvider {
  const profile = envValue(env, 'AWS_PROFILE');
  const accessKeyId = envValue(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = envValue(env, 'AWS_SECRET_ACCESS_KEY');
  if (profile === undefined && accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = envValue(env, 'AWS_SESSION_TOKEN');
    return sessionToken === undefined
      ? { accessKeyId, secretAccessKey }
      : { accessKeyId, secretAccessKey, sessionToken };
  }
  let chain: AwsCredentialsProvider | undefined;
  return async () => {
    if (!chain) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      const home = homeDir ?? '';
      const filepath =
        envValue(env, 'AWS_SHARED_CREDENTIALS_FILE') ?? (homeDir ? join(home, '.aws', 'credentials') : undefined);
      const configFilepath = envValue(env, 'AWS_CONFIG_FILE') ?? (homeDir ? join(home, '.aws', 'config') : undefined);
      const webIdentityTokenFile = envValue(env, 'AWS_WEB_IDENTITY_TOKEN_FILE');
      const roleArn = envValue(env, 'AWS_ROLE_ARN');
      const roleSessionName = envValue(env, 'AWS_ROLE_SESSION_NAME');
      chain = fromNodeProviderChain({
        // An explicit profile also keeps the chain from reading static keys from process.env: the passed env's keys
        // were handled above.
        profile: profile ?? 'default',
        ...(filepath ? { filepath } : {}),
        ...(configFilepath ? { configFilepath } : {}),
        ...(webIdentityTokenFile ? { webIdentityTokenFile } : {}),
        ...(roleArn ? { roleArn } : {}),
        ...(roleSessionName ? { roleSessionName } : {}),
        clientConfig: { region },
        logger: QUIET_LOGGER,
      });
    }
    return chain();
  };
}

const NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Builds an SDK client with the SDK's Node-version notice turned off. The SDK prints, once per process at client
 * construction, that its releases from January 2027 on will need Node 22: advice for whoever maintains our
 * dependencies, not for a user copying an image. The switch is read only then, so it is set for the synchronous
 * construction and removed straight after. A passed env that sets the switch to anything but "true" keeps the notice.
 */
function withoutNodeVersionNotice<T>(env: EnvVars, construct: () => T): T {
  const wanted = envValue(env, NODE_WARNING_SWITCH);
  if (process.env[NODE_WARNING_SWITCH] !== undefined || (wanted !== undefined && wanted !== 'true')) return construct();
  process.env[NODE_WARNING_SWITCH] = 'true';
  try {
    return construct();
  } finally {
    delete process.env[NODE_WARNING_SWITCH];
  }
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 ? value : undefined;
}

/** The default EcrApiFactory: an ECRClient from the AWS SDK for JavaScript v3. */
export async function sdkEcrApi(config: EcrClientConfig): Promise<EcrApi> {
  const sdk = await import('@aws-sdk/client-ecr');
  const { env } = config;
  const retryMode = envValue(env, 'AWS_RETRY_MODE');
  const client = withoutNodeVersionNotice(
    env,
    () =>
      new sdk.ECRClient({
        region: config.region,
        ...(config.endpoint === undefined
          ? {
              useFipsEndpoint: config.fips || envValue(env, 'AWS_USE_FIPS_ENDPOINT') === 'true',
              useDualstackEndpoint: envValue(env, 'AWS_USE_DUALSTACK_ENDPOINT') === 'true',
            }
          : { endpoint: config.endpoint, useFipsEndpoint: false, useDualstackEndpoint: false }),
        ignoreConfiguredEndpointUrls: true,
        credentials: config.credentials ?? credentialsFromEnv(env, config.homeDir, config.region),
        maxAttempts: positiveInteger(envValue(env, 'AWS_MAX_ATTEMPTS')) ?? 3,
        retryMode: retryMode === 'adaptive' ? retryMode : 'standard',
      }),
  );
  return {
    async getAuthorizationToken({ signal }) {
      const output = await client.send(new sdk.GetAuthorizationTokenCommand({}), { abortSignal: signal });
      const data = output.authorizationData?.[0];
      if (!data?.authorizationToken) {
        throw new ArchfitError('ECR_ERROR', `ECR in ${config.region} answered GetAuthorizationToken without a token`);
      }
      return { authorizationToken: data.authorizationToken, expiresAt: data.expiresAt };
    },
    async createRepository(repositoryName, { signal }) {
      try {
        await client.send(new sdk.CreateRepositoryCommand({ repositoryName }), { abortSignal: signal });
        return { created: true };
      } catch (error) {
        if (error instanceof sdk.RepositoryAlreadyExistsException) return { created: false };
        throw error;
      }
    },
    close() {
      client.destroy();
    },
  };
}
