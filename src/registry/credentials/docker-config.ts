// The credentials docker, skopeo/podman and crane users already have on disk, read in this order, the first file
// with an answer winning:
//   1. $DOCKER_CONFIG/config.json, else ~/.docker/config.json      (docker, crane)
//   2. $REGISTRY_AUTH_FILE                                         (skopeo, podman --authfile)
//   3. $XDG_RUNTIME_DIR/containers/auth.json                       (podman login)
//   4. $XDG_CONFIG_HOME/containers/auth.json, else ~/.config/...   (podman's fallback)
// Within a file: the registry's credHelpers entry, else credsStore, asked first; then its auths entry. A helper that
// has nothing stored falls back to the auths entry (docker writes `{}` there when a credsStore keeps the secret).
import { join } from 'node:path';
import { ArchfitError, isArchfitError, quote } from '../../errors.js';
import type { Credential } from '../credential-types.js';
import { type AuthFile, entryCredential, readAuthFile } from './auth-file.js';
import { credentialFromHelper, DEFAULT_HELPER_TIMEOUT_MS, type RunHelper, spawnHelper } from './credential-helper.js';
import { bestKey, canonicalHost, helperServerUrl } from './host-keys.js';
import { LookupCache } from './lookup-cache.js';
import { type EnvVars, envValue, type RepositoryCredentialStore, type RepositoryLookupOptions } from './types.js';

export interface DockerConfigCredentialsOptions {
  /** Environment: DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, and PATH for helpers. */
  env: EnvVars;
  /** The user's home directory (for ~/.docker/config.json and ~/.config/containers/auth.json). */
  homeDir: string;
  /** Runs credential helpers; default spawnHelper. */
  runHelper?: RunHelper;
  /** Time limit for one helper run; default 30 000 ms. */
  helperTimeoutMs?: number;
}

/** The credential files consulted, in order of precedence (files that do not exist are skipped at lookup). */
export function credentialFiles(env: EnvVars, homeDir: string): string[] {
  const files: string[] = [];
  const dockerConfig = envValue(env, 'DOCKER_CONFIG');
  files.push(dockerConfig ? join(dockerConfig, 'config.json') : join(homeDir, '.docker', 'config.json'));
  const authFile = envValue(env, 'REGISTRY_AUTH_FILE');
  if (authFile) files.push(authFile);
  const runtimeDir = envValue(env, 'XDG_RUNTIME_DIR');
  if (runtimeDir) files.push(join(runtimeDir, 'containers', 'auth.json'));
  files.push(join(envValue(env, 'XDG_CONFIG_HOME') ?? join(homeDir, '.config'), 'containers', 'auth.json'));
  return [...new Set(files)];
}

interface FileStoreOptions {
  env: EnvVars;
  runHelper?: RunHelper;
  helperTimeoutMs?: number;
}

async function lookupInFile(
  file: AuthFile,
  host: string,
  repository: string | undefined,
  options: FileStoreOptions,
  signal: AbortSignal,
): Promise<Credential | undefined> {
  const helperKey = bestKey(file.credHelpers.keys(), host);
  const helper = helperKey === undefined ? file.credsStore : file.credHelpers.get(helperKey);
  if (helper !== undefined) {
    let fromHelper: Credential | undefined;
    try {
      fromHelper = await credentialFromHelper(helper, helperServerUrl(host), {
        env: options.env,
        runHelper: options.runHelper ?? spawnHelper,
        timeoutMs: options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS,
        signal,
      });
    } catch (error) {
      // Say where the helper is configured: a credsStore copied from another machine is the usual culprit.
      if (!isArchfitError(error, 'CREDENTIAL_HELPER')) throw error;
      const where = helperKey === undefined ? '"credsStore"' : `"credHelpers" ${quote(helperKey)}`;
      throw new ArchfitError('CREDENTIAL_HELPER', `${error.message} (set by ${where} in ${quote(file.path)})`, {
        cause: error,
        details: { ...error.details, path: file.path },
      });
    }
    if (fromHelper) return fromHelper;
  }
  const authKey = bestKey(file.auths.keys(), host, repository);
  return authKey === undefined ? undefined : entryCredential(file, authKey);
}

function filesStore(files: readonly string[], options: FileStoreOptions): RepositoryCredentialStore {
  // A helper run costs a process (and may ask the user to unlock a keychain): one per registry per store.
  const cache = new LookupCache<Credential | undefined>(Date.now);
  return {
    async get(host: string, lookup: RepositoryLookupOptions = {}): Promise<Credential | undefined> {
      const repository = lookup.repository?.replace(/^\/+|\/+$/g, '') || undefined;
      const key = `${canonicalHost(host)}\n${repository ?? ''}`;
      const found = await cache.get(key, lookup.signal, async (signal) => {
        for (const path of files) {
          const file = await readAuthFile(path, signal);
          if (!file) continue;
          const credential = await lookupInFile(file, host, repository, options, signal);
          if (credential) return { value: credential, validUntil: Number.POSITIVE_INFINITY };
        }
        return { value: undefined, validUntil: Number.POSITIVE_INFINITY };
      });
      return found ? { ...found } : undefined;
    },
  };
}

/**
 * Credentials from docker's config.json and the containers auth files, as docker, skopeo and crane find them (see the
 * order above). Undefined means anonymous. Files are read at the first lookup of each registry; a registry's answer
 * is kept for the life of the store.
 */
export function dockerConfigCredentials(options: DockerConfigCredentialsOptions): RepositoryCredentialStore {
  return filesStore(credentialFiles(options.env, options.homeDir), options);
}

export interface AuthFileCredentialsOptions extends FileStoreOptions {
  /** A docker config.json or containers-auth.json file, e.g. from an --authfile option. */
  path: string;
}

/** Credentials from one named file only (what `--authfile` means to skopeo and podman). */
export function authFileCredentials(options: AuthFileCredentialsOptions): RepositoryCredentialStore {
  return filesStore([options.path], options);
}
