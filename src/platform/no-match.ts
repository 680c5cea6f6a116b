import { ArchfitError, quote } from '../errors.js';
import { formatPlatform } from './parse.js';
import type { Platform } from './types.js';

/** The one error for "none of these platforms is in the image", listing what is there (each once). */
export function noMatchingPlatform(
  wanted: Platform | readonly Platform[],
  available: readonly string[],
  where: string,
): ArchfitError {
  const asked = (Array.isArray(wanted) ? wanted : [wanted]) as readonly Platform[];
  const there = [...new Set(available)];
  return new ArchfitError(
    'NO_MATCHING_PLATFORM',
    `no image for platform ${asked.map((w) => quote(formatPlatform(w))).join(', ')} in ${where}; it has: ${there.length > 0 ? there.join(', ') : 'no runnable platform'}`,
    { details: { platform: asked.map((w) => formatPlatform(w)).join(','), available: there } },
  );
}
