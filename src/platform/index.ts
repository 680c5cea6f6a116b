// Platforms: parse, normalise, format and match them, with containerd's rules, written for archfit.
export { fromSpecPlatform, type NodeMachine, platformFromNode, toSpecPlatform } from './convert.js';
export { bestMatch, MATCH_MODES, platformMatcher, sortPlatforms } from './match.js';
export { noMatchingPlatform } from './no-match.js';
export {
  isKnownArchitecture,
  isKnownOS,
  isUnknownPlatform,
  normalizeArchitecture,
  normalizeOS,
  normalizePlatform,
  platformsEqual,
} from './normalize.js';
export { type FormatOptions, formatPlatform, parsePlatform } from './parse.js';
export type { MatchMode, Platform, PlatformMatcher, SpecPlatform } from './types.js';
export { parseWindowsVersion, type WindowsVersion, windowsBuildsCompatible } from './windows.js';
