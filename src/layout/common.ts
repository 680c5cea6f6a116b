// What the OCI layout directory and the docker archive share: annotation names, a media type the image module does
// not list, and the checks every descriptor passes before it names a file.
import { type Digest, parseDigest } from '../digest/index.js';
import { ArchfitError, quote } from '../errors.js';
import type { Descriptor } from '../image/index.js';

/** The OCI annotation that tags an entry of a layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** The full image name docker (25+) and containerd put on index.json entries of an archive. */
export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
/** An uncompressed Docker layer: what `docker save` stores, and what a synthesised manifest lists. */
export const DOCKER_LAYER_TAR_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar';

/** The digest and size of a descriptor from a caller, validated before they name a file or bound a read. */
export function checkedDescriptor(descriptor: Descriptor, source: string): { digest: Digest; size: number } {
  if (typeof descriptor !== 'object' || descriptor === null) {
    throw new ArchfitError('INVALID_ARGUMENT', `${source}: a descriptor must be an object`);
  }
  let digest: Digest;
  try {
    digest = parseDigest(descriptor.digest);
  } catch (error) {
    throw new ArchfitError('INVALID_DIGEST', `${source}: invalid digest ${quote(descriptor.digest)}`, { cause: error });
  }
  const size = descriptor.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ArchfitError('INVALID_ARGUMENT', `${source}: descriptor size ${quote(size)} for ${digest} is not valid`);
  }
  return { digest, size };
}

/**
 * Is this reference meant as a digest? It starts with a digest algorithm archfit knows and a colon; it is then
 * validated strictly (INVALID_DIGEST), never looked up as a name.
 */
export function looksLikeDigest(reference: string): boolean {
  return /^(?:sha256|sha384|sha512):/.test(reference);
}
