// The registry store: transport (undici, retries, redirects without credentials), authentication (challenges,
// tokens, scopes) and the distribution API as a ContentStore. This file is the module's only door.
export { parseScope, repositoryScope, type Scope, ScopeSet } from './auth.js';
export {
  type BearerChallenge,
  bearerChallenge,
  type Challenge,
  parseChallenges,
  parseWwwAuthenticate,
} from './challenge.js';
export { RegistryClient, type RegistryClientOptions, RegistryRepository } from './client.js';
export type { Credential, CredentialLookupOptions, CredentialStore } from './credential-types.js';
export {
  allowsPlainHttp,
  DOCKER_HUB_API_HOST,
  isEcrHost,
  isLoopbackHostname,
  type RegistryEndpoint,
  resolveEndpoint,
} from './endpoint.js';
export { parseRegistryErrors, type RegistryErrorEntry } from './errors.js';
export { Redactor, redactHeaders, redactUrl } from './redact.js';
export { type Clock, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry.js';
export type { RequestEvent, TransportOptions } from './transport.js';
export { nextLink, resolveLocation, withQuery } from './url.js';
