// Composing credential stores: explicit credentials, a chain where the first answer wins, and the default chain
// (docker config files, then ECR tokens for ECR hosts, then anonymous).
import type { Credential, CredentialStore } from '../credential-types.js';
import { type DockerConfigCredentialsOptions, dockerConfigCredentials } from './docker-config.js';
import { type EcrCredentialsOptions, ecrCredentials } from './ecr.js';
import { bestKey } from './host-keys.js';
import type { RepositoryCredentialStore, RepositoryLookupOptions } from './types.js';

/**
 * Fixed credentials, e.g. from command-line options. Keys are read like docker config keys: "ghcr.io",
 * "localhost:5000", "https://index.docker.io/v1/" (Docker Hub), or a repository scope such as "quay.io/org".
 */
export function staticCredentials(
  credentials: Readonly<Record<string, Credential>> | ReadonlyMap<string, Credential>,
): RepositoryCredentialStore {
  const map = new Map<string, Credential>(
    credentials instanceof Map ? credentials : Object.entries(credentials as Record<string, Credential>),
  );
  return {
    async get(host: string, lookup: RepositoryLookupOptions = {}): Promise<Credential | undefined> {
      lookup.signal?.throwIfAborted();
      const key = bestKey(map.keys(), host, lookup.repository);
      const found = key === undefined ? undefined : map.get(key);
      return found ? { ...found } : undefined;
    },
  };
}

/** Asks each store in turn; the first credential wins, an error stops the chain. Undefined: anonymous. */
export function chainCredentialStores(...stores: CredentialStore[]): RepositoryCredentialStore {
  return {
    async get(host: string, lookup: RepositoryLookupOptions = {}): Promise<Credential | undefined> {
      for (const store of stores) {
        const credential = await store.get(host, lookup);
        if (credential) return credential;
      }
      return undefined;
    },
  };
}

export interface DefaultCredentialStoreOptions extends DockerConfigCredentialsOptions {
  /** ECR token options (a client factory, credentials, clock); false: no built-in ECR support. */
  ecr?: Omit<EcrCredentialsOptions, 'env' | 'homeDir'> | false;
}

/**
 * What docker, skopeo and crane users expect: their docker config and containers auth files first (a credential
 * configured there for an ECR host, such as the ecr-login helper, wins), then an ECR token for ECR hosts from the AWS
 * default credential chain, then anonymous.
 */
export function defaultCredentialStore(options: DefaultCredentialStoreOptions): RepositoryCredentialStore {
  const stores = [dockerConfigCredentials(options)];
  if (options.ecr !== false)
    stores.push(ecrCredentials({ ...options.ecr, env: options.env, homeDir: options.homeDir }));
  return chainCredentialStores(...stores);
}
