import type { Credential, CredentialLookupOptions, CredentialStore } from '../credential-types.js';

/** Environment variables, passed in (the library never reads process.env). */
export type EnvVars = Record<string, string | undefined>;

/**
 * Lookup options the stores in this module understand. `repository` ("library/ubuntu", "org/app") lets a
 * containers-auth.json key scoped to a namespace ("quay.io/org") win over the host's key; without it only
 * host-level keys match.
 */
export interface RepositoryLookupOptions extends CredentialLookupOptions {
  repository?: string;
}

/** The value of an environment variable, with an empty string read as unset (as the shell tools do). */
export function envValue(env: EnvVars, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A CredentialStore whose lookups may also name the repository (see RepositoryLookupOptions). */
export interface RepositoryCredentialStore extends CredentialStore {
  get(host: string, options?: RepositoryLookupOptions): Promise<Credential | undefined>;
}
