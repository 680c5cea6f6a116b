// Local image locations as written on the command line: `oci:DIR[:TAG]` and `docker-archive:FILE[:REF]`.
//
// POSIX paths may hold ":", so where the path ends is decided by these rules (checked in this order):
//
// oci:REST
//   1. REST ending in "@<digest>" (or ":@<digest>") names that manifest: the path is what comes before.
//   2. REST naming an existing file or directory is all path, with no tag.
//   3. Otherwise, when the text after the last ":" is a valid tag and the text before it is not empty, that is the
//      tag and the rest the path ("oci:out:v1" → "out", "v1"; "oci:/a:b/c" → "/a:b/c", as "b/c" is no tag).
//   4. Otherwise REST is all path.
// docker-archive:REST (the reference, "repo:tag" or "host:5000/repo:tag", may itself hold ":")
//   1. REST naming an existing file is all path.
//   2. Otherwise the shortest prefix ending before a ":" that names an existing file is the path; what follows the
//      ":" is the reference.
//   3. Otherwise (no such file: opening will say so) the path ends at the first ":", as skopeo reads it.
//   A reference is "@N" (the N-th image of manifest.json), a digest, or an image name with an optional tag.
import { existsSync } from 'node:fs';
import { isDigest } from '../digest/index.js';
import { ArchfitError, quote } from '../errors.js';
import { grammar, parseReference } from '../reference/index.js';

export type LocalLocationKind = 'oci' | 'docker-archive';

export interface LocalLocation {
  kind: LocalLocationKind;
  /** The directory (oci) or file (docker-archive), as given. */
  path: string;
  /** Tag, digest, name or "@N"; undefined when the location names none. */
  reference: string | undefined;
}

export interface ParseLocalLocationOptions {
  /** Does this path exist? (Defaults to the file system; tests pass their own.) */
  exists?: (path: string) => boolean;
}

/** True for the schemes parseLocalLocation reads. */
export function isLocalLocation(location: string): boolean {
  return location.startsWith('oci:') || location.startsWith('docker-archive:');
}

function invalid(location: string, problem: string): ArchfitError {
  return new ArchfitError('INVALID_REFERENCE', `invalid location ${quote(location)}: ${problem}`, {
    details: { input: location },
  });
}

export function parseLocalLocation(location: string, options: ParseLocalLocationOptions = {}): LocalLocation {
  const exists = options.exists ?? existsSync;
  if (typeof location !== 'string') throw invalid(String(location), 'expected a string');
  let result: LocalLocation;
  if (location.startsWith('oci:')) {
    result = parseOci(location.slice('oci:'.length), exists);
  } else if (location.startsWith('docker-archive:')) {
    result = parseArchive(location, location.slice('docker-archive:'.length), exists);
  } else {
    throw invalid(location, 'expected oci:DIR[:TAG] or docker-archive:FILE[:REF]');
  }
  if (result.path === '') throw invalid(location, 'the path is missing');
  if (result.path.includes('\0')) throw invalid(location, 'the path holds a NUL character');
  return result;
}

function parseOci(rest: string, exists: (path: string) => boolean): LocalLocation {
  const digest = /^(.*?):?@([a-z0-9]+:[a-f0-9]+)$/.exec(rest);
  if (digest !== null && isDigest(digest[2])) {
    return { kind: 'oci', path: digest[1] ?? '', reference: digest[2] };
  }
  if (rest === '' || exists(rest)) return { kind: 'oci', path: rest, reference: undefined };
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    const tag = rest.slice(colon + 1);
    if (grammar.tag.test(tag)) return { kind: 'oci', path: rest.slice(0, colon), reference: tag };
  }
  return { kind: 'oci', path: rest, reference: undefined };
}

function parseArchive(location: string, rest: string, exists: (path: string) => boolean): LocalLocation {
  const make = (path: string, reference: string | undefined): LocalLocation => {
    if (reference !== undefined) checkArchiveReference(location, reference);
    return { kind: 'docker-archive', path, reference };
  };
  if (rest === '' || exists(rest)) return make(rest, undefined);
  for (let colon = rest.indexOf(':'); colon !== -1; colon = rest.indexOf(':', colon + 1)) {
    if (colon > 0 && exists(rest.slice(0, colon)))
      return make(rest.slice(0, colon), rest.slice(colon + 1) || undefined);
  }
  const first = rest.indexOf(':');
  if (first > 0) return make(rest.slice(0, first), rest.slice(first + 1) || undefined);
  return make(rest, undefined);
}

function checkArchiveReference(location: string, reference: string): void {
  if (/^@\d{1,6}$/.test(reference)) return;
  if (/^(?:sha256|sha384|sha512):/.test(reference)) {
    if (!isDigest(reference)) throw invalid(location, `${quote(reference)} is not a valid digest`);
    return;
  }
  try {
    const ref = parseReference(reference);
    if (ref.digest !== undefined)
      throw invalid(location, 'name an image by name:tag, by digest or by @N, not name@digest');
  } catch (error) {
    if (
      error instanceof ArchfitError &&
      error.code === 'INVALID_REFERENCE' &&
      error.message.startsWith('invalid location')
    )
      throw error;
    throw new ArchfitError(
      'INVALID_REFERENCE',
      `invalid location ${quote(location)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { input: location } },
    );
  }
}
