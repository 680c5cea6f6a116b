// The two ECR API calls archfit makes, behind a small interface so tests and library users can supply their own.
import type { EnvVars } from './types.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Resolves AWS credentials when asked; called again when the ones it gave have expired. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface EcrClientConfig {
  /** The registry's region (from its host name). */
  region: string;
  /** Use the FIPS endpoint of the ECR API; false whenever `endpoint` is set. */
  fips: boolean;
  /** The ECR API endpoint to call instead of AWS's, e.g. "http://127.0.0.1:4566". */
  endpoint: string | undefined;
  /** Given credentials; undefined: resolve them from `env` and `homeDir` (the AWS default chain). */
  credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  env: EnvVars;
  homeDir: string | undefined;
}

export interface EcrAuthorizationToken {
  /** base64 of "AWS:<password>". */
  authorizationToken: string;
  expiresAt: Date | undefined;
}

export interface EcrApi {
  getAuthorizationToken(options: { signal: AbortSignal }): Promise<EcrAuthorizationToken>;
  /** Creates the repository; `created` is false when it already existed. */
  createRepository(repositoryName: string, options: { signal: AbortSignal }): Promise<{ created: boolean }>;
  /** Releases connections; called once the store is done with this instance. */
  close?(): void;
}

/** Makes an EcrApi for one region; the default loads the AWS SDK on first use. */
export type EcrApiFactory = (config: EcrClientConfig) => EcrApi | Promise<EcrApi>;
