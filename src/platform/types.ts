// The platform types: what an image declares it runs on, and what a host (a deployment target) is.

/**
 * A platform in our field names. `variant`, `osVersion` and `osFeatures` are left out rather than set to an empty
 * value, so two platforms that mean the same thing also compare equal with a deep equality.
 */
export type Platform = {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
};

/**
 * How a matcher decides whether a candidate can run on its platform (the host):
 * - `exact`: the normalised os, architecture and variant are equal (arm64 and arm64/v8 are the same; Windows OS
 *   versions and OS features are checked as in `compatible`);
 * - `compatible`: also what runs on the host: lower amd64 levels and 386 on amd64, lower arm variants on arm, lower
 *   arm64 versions and arm/v8 down to arm/v5 on arm64;
 * - `strict`: the same answer as `exact` (containerd's OnlyStrict is a one-entry ordered list of exact matchers);
 * - `os`: any architecture of the same OS (and compatible OS version and features).
 */
export type MatchMode = 'exact' | 'compatible' | 'strict' | 'os';

export interface PlatformMatcher {
  /** The host platform, normalised. */
  readonly platform: Platform;
  readonly mode: MatchMode;
  /** True when the candidate can run on the host under this mode. */
  match(candidate: Platform): boolean;
  /**
   * True when `a` is preferred to `b`: matching candidates before the others, then an exact match, then the
   * candidate closest to the host (own architecture before its fallback, highest variant and OS version first).
   */
  less(a: Platform, b: Platform): boolean;
}

/** A platform in the OCI image spec's JSON field names, as found in an index entry or an image config. */
export interface SpecPlatform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}
