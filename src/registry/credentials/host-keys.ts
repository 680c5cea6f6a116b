// How the keys of docker's config.json and containers-auth.json name a registry, and which key serves a lookup.
//
// docker writes Docker Hub as "https://index.docker.io/v1/" and older tools wrote "http://host:5000" or
// "host:5000/v2/"; like docker (ConvertToHostname) a key with a scheme is read as its host alone, and so is a key
// whose path is only an API version ("/v1/", "/v2/"). containers-auth.json (podman, skopeo) may also scope a key to a
// namespace or repository ("quay.io/org", "quay.io/org/app"); such a key serves only lookups for that repository or
// below, and the longest matching one wins, as in containers/image.

/** Docker Hub's registry name, as image references spell it. */
export const DOCKER_HUB = 'docker.io';
/** The key docker login writes for Docker Hub, and the server URL credential helpers are asked about for it. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Lowercase, with Docker Hub's other names folded into "docker.io". */
export function canonicalHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return DOCKER_HUB_NAMES.has(lower) ? DOCKER_HUB : lower;
}

/** The server URL a credential helper is asked about: Docker Hub's legacy key, otherwise the host as given. */
export function helperServerUrl(host: string): string {
  return canonicalHost(host) === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : host.trim();
}

export interface CredentialKey {
  /** The canonical host (see canonicalHost). */
  host: string;
  /** A namespace or repository path the key is limited to, without slashes at either end; undefined: the whole host. */
  scope: string | undefined;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const API_VERSION_PATH = /^v[0-9]+$/;

/** What registry (and scope) a config key names, or undefined for a key that names nothing. */
export function parseCredentialKey(key: string): CredentialKey | undefined {
  let rest = key.trim();
  const hasScheme = SCHEME.test(rest);
  if (hasScheme) rest = rest.replace(SCHEME, '');
  const slash = rest.indexOf('/');
  const host = canonicalHost(slash === -1 ? rest : rest.slice(0, slash));
  if (host === '') return undefined;
  const path = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (hasScheme || path === '' || API_VERSION_PATH.test(path)) return { host, scope: undefined };
  return { host, scope: path };
}

/**
 * The key of `keys` that serves `host` (and `repository`, when given), or undefined. A scoped key matching the
 * repository beats any host-level key, the longest scope first; among host-level keys one spelled exactly as the
 * host wins, then Docker Hub's legacy key, then the first in file order.
 */
export function bestKey(keys: Iterable<string>, host: string, repository?: string): string | undefined {
  const wanted = canonicalHost(host);
  const exact = host.trim().toLowerCase();
  const repo = repository?.replace(/^\/+|\/+$/g, '');
  let best: string | undefined;
  let bestScore = 0;
  for (const key of keys) {
    const parsed = parseCredentialKey(key);
    if (!parsed || parsed.host !== wanted) continue;
    let score: number;
    if (parsed.scope === undefined) {
      const raw = key.trim().toLowerCase();
      score = raw === exact ? 3 : raw === DOCKER_HUB_AUTH_KEY ? 2 : 1;
    } else if (repo !== undefined && (repo === parsed.scope || repo.startsWith(`${parsed.scope}/`))) {
      score = 100 + parsed.scope.length;
    } else continue;
    if (score > bestScore) {
      best = key;
      bestScore = score;
    }
  }
  return best;
}
