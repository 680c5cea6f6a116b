// The grammar of an image reference, written once and assembled from named pieces. It follows the grammar of
// distribution/reference (the library Docker uses), so a string Docker accepts reads the same way here.
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [ domain "/" ] path
//   domain           := host [ ":" port ]
//   host             := domain-name | "[" ipv6-address "]"
//   domain-name      := domain-component [ "." domain-component ]*      (IPv4 addresses are domain names here)
//   domain-component := /[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]/
//   ipv6-address     := /[a-fA-F0-9:]+/                                  (no zone identifiers, no embedded IPv4)
//   port             := /[0-9]+/
//   path             := path-component [ "/" path-component ]*           (at most 255 characters)
//   path-component   := alphanumeric [ separator alphanumeric ]*
//   alphanumeric     := /[a-z0-9]+/
//   separator        := /[._]|__|-+/                                     (one ".", one or two "_", any run of "-")
//   tag              := /[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}/
//   digest           := algorithm ":" encoded
//   algorithm        := algorithm-part [ /[-_+.]/ algorithm-part ]*
//   algorithm-part   := /[A-Za-z][A-Za-z0-9]*/
//   encoded          := /[0-9a-fA-F]{32,}/                               (sha256: 64, sha384: 96, sha512: 128
//                                                                         lowercase hex digits exactly)
//   identifier       := /[a-f0-9]{64}/                                   (an image ID; never a name)
//
// Which first component of a name is a domain is not decided by the grammar but by a rule (see parse.ts): it must be
// followed by "/" and contain "." or ":", be "localhost", or contain an uppercase letter.

// The pieces, as regular-expression source. Every group is non-capturing except in `reference` below.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|-+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const path = `${pathComponent}(?:/${pathComponent})*`;

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6Address = '\\[[a-fA-F0-9:]+\\]';
const host = `(?:${domainName}|${ipv6Address})`;
const port = '[0-9]+';
const domain = `${host}(?::${port})?`;

const name = `(?:${domain}/)?${path}`;

const tag = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';

const algorithmPart = '[A-Za-z][A-Za-z0-9]*';
const algorithm = `${algorithmPart}(?:[-_+.]${algorithmPart})*`;
const encoded = '[0-9a-fA-F]{32,}';
const digest = `${algorithm}:${encoded}`;

const identifier = '[a-f0-9]{64}';

function anchored(source: string): RegExp {
  return new RegExp(`^${source}$`);
}

/**
 * Anchored regular expressions for each production. `reference` captures name (1), tag (2) and digest (3); it
 * checks syntax only (not the 255-character path limit, the exact lengths of known digest algorithms, or the rule
 * that picks a domain) — use parseReference for that.
 */
export const grammar = Object.freeze({
  reference: anchored(`(${name})(?::(${tag}))?(?:@(${digest}))?`),
  name: anchored(name),
  domain: anchored(domain),
  domainName: anchored(domainName),
  ipv6Host: anchored(ipv6Address),
  port: anchored(port),
  path: anchored(path),
  pathComponent: anchored(pathComponent),
  tag: anchored(tag),
  digest: anchored(digest),
  digestAlgorithm: anchored(algorithm),
  digestEncoded: anchored(encoded),
  identifier: anchored(identifier),
});

/** The longest repository path a registry must accept (distribution's RepositoryNameTotalLengthMax). */
export const MAX_PATH_LENGTH = 255;

/** Tags are at most this long (the `{0,127}` above plus the first character). */
export const MAX_TAG_LENGTH = 128;

/** Digest algorithms whose encoded part has a fixed length of lowercase hex digits. */
export const KNOWN_DIGEST_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  sha256: 64,
  sha384: 96,
  sha512: 128,
});
