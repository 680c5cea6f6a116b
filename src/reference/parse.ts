import { ArchfitError, quote } from '../errors.js';
import { grammar } from './grammar.js';
import {
  DOCKER_HUB,
  DOCKER_HUB_LEGACY,
  looksLikeRegistry,
  makeReference,
  OFFICIAL_NAMESPACE,
  type Reference,
} from './reference.js';
import { digestProblem, pathProblem, registryProblem, tagProblem } from './validate.js';

function invalid(input: string, problem: string): ArchfitError {
  return new ArchfitError('INVALID_REFERENCE', `invalid reference ${quote(input)}: ${problem}`, {
    details: { input },
  });
}

/**
 * Parses an image reference as Docker does (distribution/reference's ParseNormalizedNamed): "ubuntu" is
 * "docker.io/library/ubuntu", "index.docker.io" is "docker.io", and a first component is a registry only when a
 * "/" follows it and it contains "." or ":", is "localhost", or has an uppercase letter ("test.com:5000" alone is
 * the Docker Hub repository "library/test.com" with tag "5000"). Unlike Docker's ParseDockerRef, a tag given with a
 * digest is kept, and no default tag is added. Throws ArchfitError INVALID_REFERENCE saying what is wrong.
 */
export function parseReference(input: string): Reference {
  if (typeof input !== 'string') {
    throw new ArchfitError('INVALID_REFERENCE', `invalid reference: expected a string, got ${typeof input}`, {
      details: { input },
    });
  }
  if (input === '') throw invalid(input, 'it is empty');
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(input);
  if (scheme !== null) throw invalid(input, `a reference has no URL scheme; drop ${quote(scheme[0])}`);
  if (grammar.identifier.test(input)) {
    throw invalid(input, 'a 64-digit hex string is an image ID, not a repository name');
  }

  // "@" cannot occur in a name or a tag, so the first one starts the digest.
  const at = input.indexOf('@');
  const beforeDigest = at < 0 ? input : input.slice(0, at);
  const digest = at < 0 ? undefined : input.slice(at + 1);

  // A name holds ":" only in its registry (a port, an IPv6 address), which a "/" always follows; so the tag starts
  // at the first ":" after the last "/".
  const lastSlash = beforeDigest.lastIndexOf('/');
  if (lastSlash < 0 && beforeDigest.startsWith('[')) {
    throw invalid(input, 'a bracketed IPv6 registry needs a repository after it, like "[::1]:5000/name"');
  }
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  const name = colon < 0 ? beforeDigest : beforeDigest.slice(0, colon);
  const tag = colon < 0 ? undefined : beforeDigest.slice(colon + 1);
  if (name === '') throw invalid(input, 'repository name is missing');

  let registry = DOCKER_HUB;
  let repository = name;
  const firstSlash = name.indexOf('/');
  if (firstSlash >= 0) {
    const first = name.slice(0, firstSlash);
    if (looksLikeRegistry(first)) {
      const problem = registryProblem(first);
      if (problem !== undefined) throw invalid(input, `registry ${quote(first)} ${problem}`);
      registry = first === DOCKER_HUB_LEGACY ? DOCKER_HUB : first;
      repository = name.slice(firstSlash + 1);
      if (repository === '') throw invalid(input, `repository name is missing after registry ${quote(first)}`);
    }
  }
  // Docker Hub's official images live in "library/"; other registries have no such namespace.
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `${OFFICIAL_NAMESPACE}/${repository}`;

  const problem = pathProblem(repository);
  if (problem !== undefined) throw invalid(input, problem);
  if (tag !== undefined) {
    const bad = tagProblem(tag);
    if (bad !== undefined) throw invalid(input, `tag ${quote(tag)} ${bad}`);
  }
  if (digest !== undefined) {
    const bad = digestProblem(digest);
    if (bad !== undefined) throw invalid(input, `digest ${quote(digest)} ${bad}`);
  }
  return makeReference(registry, repository, tag, digest);
}
