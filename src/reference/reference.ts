import { ArchfitError, quote } from '../errors.js';
import { grammar } from './grammar.js';
import { digestProblem, tagProblem } from './validate.js';

/** Docker Hub's canonical registry name; "index.docker.io" is folded into it. */
export const DOCKER_HUB = 'docker.io';

/** The legacy name of Docker Hub, read as DOCKER_HUB. */
export const DOCKER_HUB_LEGACY = 'index.docker.io';

/** The namespace of Docker Hub's official images: "ubuntu" is "docker.io/library/ubuntu". */
export const OFFICIAL_NAMESPACE = 'library';

/** The tag a registry is asked for when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';

/** A parsed, normalised image reference. Immutable: every instance is frozen. */
export interface Reference {
  /** The registry host and optional port: "docker.io", "localhost:5000", "[::1]:5000". */
  readonly registry: string;
  /** The path within the registry: "library/ubuntu", "docker/docker". */
  readonly repository: string;
  /** The tag as given, or undefined; no default is filled in (see tagOrDigest). */
  readonly tag: string | undefined;
  /** The digest as given ("sha256:…"), or undefined. */
  readonly digest: string | undefined;
  /** registry + "/" + repository: "docker.io/library/ubuntu". */
  readonly name: string;
  /** The name as docker prints it: "ubuntu", "docker/docker", "localhost:5000/x". */
  readonly familiarName: string;
  /** The full canonical form: name, then ":tag" and/or "@digest" as given. */
  toString(): string;
}

class ParsedReference implements Reference {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  readonly name: string;
  readonly familiarName: string;

  constructor(registry: string, repository: string, tag: string | undefined, digest: string | undefined) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
    this.name = `${registry}/${repository}`;
    this.familiarName = familiarize(registry, repository);
    Object.freeze(this);
  }

  toString(): string {
    return withSuffixes(this.name, this);
  }
}

function withSuffixes(name: string, ref: Pick<Reference, 'tag' | 'digest'>): string {
  let out = name;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/**
 * Docker's short form: Docker Hub drops "docker.io/", and official images drop "library/" too. Where that short
 * form would read back as a different reference, Docker's own output is ambiguous and we keep more of the name:
 * a first component that looks like a registry ("docker.io/localhost/x", "docker.io/a.b/x") keeps "docker.io/",
 * and an official image named by 64 hex digits keeps "library/" (a bare 64-hex string is an image ID).
 */
function familiarize(registry: string, repository: string): string {
  if (registry !== DOCKER_HUB) return `${registry}/${repository}`;
  const first = repository.split('/', 1)[0] ?? '';
  if (repository.includes('/') && looksLikeRegistry(first)) return `${registry}/${repository}`;
  const prefix = `${OFFICIAL_NAMESPACE}/`;
  if (repository.startsWith(prefix)) {
    const rest = repository.slice(prefix.length);
    if (!rest.includes('/') && !grammar.identifier.test(rest)) return rest;
  }
  return repository;
}

/** Docker's rule for whether the first component of a name (when followed by "/") is a registry. */
export function looksLikeRegistry(component: string): boolean {
  return (
    component === 'localhost' ||
    component.includes('.') ||
    component.includes(':') ||
    component !== component.toLowerCase()
  );
}

/**
 * Builds a Reference from parts that are already valid and normalised. Not exported from the module: outside
 * callers go through parseReference, which validates.
 */
export function makeReference(
  registry: string,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
): Reference {
  return new ParsedReference(registry, repository, tag, digest);
}

/** A new Reference with `tag` set (any digest is kept, as Docker does). Throws INVALID_REFERENCE for a bad tag. */
export function withTag(ref: Reference, tag: string): Reference {
  const problem = typeof tag === 'string' ? tagProblem(tag) : 'is not a string';
  if (problem !== undefined) {
    throw new ArchfitError('INVALID_REFERENCE', `invalid tag ${quote(tag)} for ${ref.name}: the tag ${problem}`, {
      details: { input: tag, reference: ref.toString() },
    });
  }
  return makeReference(ref.registry, ref.repository, tag, ref.digest);
}

/** A new Reference with `digest` set (any tag is kept). Throws INVALID_REFERENCE for a bad digest. */
export function withDigest(ref: Reference, digest: string): Reference {
  const problem = typeof digest === 'string' ? digestProblem(digest) : 'is not a string';
  if (problem !== undefined) {
    throw new ArchfitError(
      'INVALID_REFERENCE',
      `invalid digest ${quote(digest)} for ${ref.name}: the digest ${problem}`,
      { details: { input: digest, reference: ref.toString() } },
    );
  }
  return makeReference(ref.registry, ref.repository, ref.tag, digest);
}

/** The reference as docker prints it: familiar name, then ":tag" and/or "@digest" ("ubuntu:24.04"). */
export function familiarString(ref: Reference): string {
  return withSuffixes(ref.familiarName, ref);
}

/**
 * What to ask the registry for: the digest when there is one (it pins the content, so it wins over a tag, as in
 * Docker's ParseDockerRef), else the tag, else DEFAULT_TAG.
 */
export function tagOrDigest(ref: Reference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
