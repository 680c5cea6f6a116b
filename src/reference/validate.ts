// Checks for each part of a reference. Each returns undefined when the part is valid, or a phrase saying precisely
// what is wrong, written to follow the part's name ("tag \"-x\" " + "must start with …"). Callers add the subject
// and the input, so one phrase serves parseReference, withTag and withDigest alike.

import { quote } from '../errors.js';
import { grammar, KNOWN_DIGEST_LENGTHS, MAX_PATH_LENGTH, MAX_TAG_LENGTH } from './grammar.js';

/** The first character of `text` outside `allowed`, quoted, or undefined. */
function firstOutside(text: string, allowed: RegExp): string | undefined {
  for (const ch of text) if (!allowed.test(ch)) return quote(ch);
  return undefined;
}

export function tagProblem(tag: string): string | undefined {
  if (grammar.tag.test(tag)) return undefined;
  if (tag === '') return 'is empty';
  const bad = firstOutside(tag, /^[A-Za-z0-9_.-]$/);
  if (bad !== undefined) return `contains ${bad}; a tag may hold only letters, digits, "_", "." and "-"`;
  if (tag.length > MAX_TAG_LENGTH) return `is ${tag.length} characters long; the limit is ${MAX_TAG_LENGTH}`;
  return 'must start with a letter, digit or "_"';
}

export function digestProblem(digest: string): string | undefined {
  if (digest === '') return 'is empty';
  const colon = digest.indexOf(':');
  if (colon < 0) return 'must be "algorithm:hex", like "sha256:" followed by 64 hex digits';
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  if (!grammar.digestAlgorithm.test(algorithm)) {
    return `has an invalid algorithm ${quote(algorithm)}; it must be letters and digits starting with a letter, parts joined by "+", ".", "_" or "-"`;
  }
  const fixed = KNOWN_DIGEST_LENGTHS[algorithm];
  if (fixed !== undefined) {
    const bad = firstOutside(encoded, /^[0-9a-f]$/);
    if (bad !== undefined) return `contains ${bad}; a ${algorithm} digest is lowercase hex (0-9, a-f)`;
    if (encoded.length !== fixed) return `has ${encoded.length} hex digits; ${algorithm} needs exactly ${fixed}`;
    return undefined;
  }
  const bad = firstOutside(encoded, /^[0-9a-fA-F]$/);
  if (bad !== undefined) return `contains ${bad}, which is not a hex digit`;
  if (!grammar.digestEncoded.test(encoded)) return `has ${encoded.length} hex digits; at least 32 are needed`;
  return undefined;
}

/** A registry: a host name, IPv4 address or bracketed IPv6 address, then an optional ":port". */
export function registryProblem(registry: string): string | undefined {
  if (grammar.domain.test(registry)) return undefined;
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']');
    if (close < 0) return 'has "[" without a closing "]"';
    host = registry.slice(0, close + 1);
    const rest = registry.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return `has ${quote(rest)} after the IPv6 address; only ":port" may follow it`;
      port = rest.slice(1);
    }
    if (!grammar.ipv6Host.test(host)) {
      return `has an invalid IPv6 address ${quote(host)}; only hex digits and ":" are allowed between the brackets (no zone identifiers or embedded IPv4)`;
    }
  } else {
    const colon = registry.indexOf(':');
    if (colon >= 0) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
    if (!grammar.domainName.test(host)) {
      if (host === '') return 'has an empty host name';
      const bad = firstOutside(host, /^[A-Za-z0-9.-]$/);
      if (bad !== undefined) return `has a host name ${quote(host)} containing ${bad}`;
      if (host.split('.').includes('')) return `has an empty dot-separated part in host name ${quote(host)}`;
      return `has an invalid host name ${quote(host)}; each dot-separated part must be letters, digits and "-", not starting or ending with "-"`;
    }
  }
  if (port !== undefined && !grammar.port.test(port)) return `has an invalid port ${quote(port)}; a port is digits`;
  // Unreachable when the checks above mirror the grammar; kept so a gap between them cannot accept bad input.
  return 'is not a valid registry host';
}

/**
 * A repository path (already normalised, e.g. with "library/" added). Undefined when valid; otherwise the whole
 * phrase, since the subject varies ("repository name must be lowercase", "repository path component …").
 */
export function pathProblem(path: string): string | undefined {
  if (grammar.path.test(path)) {
    if (path.length > MAX_PATH_LENGTH) {
      return `repository path is ${path.length} characters long; the limit is ${MAX_PATH_LENGTH}`;
    }
    return undefined;
  }
  for (const component of path.split('/')) {
    if (grammar.pathComponent.test(component)) continue;
    if (component === '') return `repository path ${quote(path)} has an empty component`;
    const bad = firstOutside(component, /^[A-Za-z0-9._-]$/);
    if (bad !== undefined) {
      return `repository path component ${quote(component)} contains ${bad}; only lowercase letters, digits, ".", "_" and "-" are allowed`;
    }
    if (component !== component.toLowerCase()) return 'repository name must be lowercase';
    if (!/^[a-z0-9]/.test(component) || !/[a-z0-9]$/.test(component)) {
      return `repository path component ${quote(component)} must start and end with a lowercase letter or digit`;
    }
    return `repository path component ${quote(component)} has an invalid separator; use one ".", one or two "_", or any number of "-" between letters and digits`;
  }
  return 'repository path is invalid';
}
