// Registry credentials as docker, skopeo and crane users have them: docker config and containers auth files,
// credential helpers, Amazon ECR tokens, explicit credentials, and chains of these. The only door of this module.
export type { HelperRequest, HelperResult, RunHelper } from './credential-helper.js';
export { spawnHelper } from './credential-helper.js';
export type { AuthFileCredentialsOptions, DockerConfigCredentialsOptions } from './docker-config.js';
export { authFileCredentials, credentialFiles, dockerConfigCredentials } from './docker-config.js';
export type { CreateEcrRepositoryOptions, EcrCredentialsOptions, EcrOptions } from './ecr.js';
export { createEcrRepository, ecrCredentials } from './ecr.js';
export type {
  AwsCredentials,
  AwsCredentialsProvider,
  EcrApi,
  EcrApiFactory,
  EcrAuthorizationToken,
  EcrClientConfig,
} from './ecr-api.js';
export type { EcrHost } from './ecr-host.js';
export { parseEcrHost } from './ecr-host.js';
export type { DefaultCredentialStoreOptions } from './stores.js';
export { chainCredentialStores, defaultCredentialStore, staticCredentials } from './stores.js';
export type { EnvVars, RepositoryCredentialStore, RepositoryLookupOptions } from './types.js';
