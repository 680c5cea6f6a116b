// Docker image references: grammar, parse, normalise (docker.io, library/), familiar form, format.
export { grammar, KNOWN_DIGEST_LENGTHS, MAX_PATH_LENGTH, MAX_TAG_LENGTH } from './grammar.js';
export { parseReference } from './parse.js';
export {
  DEFAULT_TAG,
  DOCKER_HUB,
  DOCKER_HUB_LEGACY,
  familiarString,
  OFFICIAL_NAMESPACE,
  type Reference,
  tagOrDigest,
  withDigest,
  withTag,
} from './reference.js';
