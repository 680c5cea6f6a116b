// The public library API: named re-exports only.

// Commands as functions (image locations as users write them).
export {
  type CheckOptions,
  type CheckSpecOptions,
  check,
  checkSpec,
  copy,
  type ImageOptions,
  inspect,
  targetRule,
} from './api/index.js';
// Binaries: ELF, PE and #! script heads.
export {
  type BinaryFacts,
  describeBinary,
  headBytesNeeded,
  identifyBinary,
  parseShebang,
  readElf,
  readPe,
} from './binary/index.js';
// Verdicts.
export {
  type CheckItem,
  type CheckResult,
  type CheckResultEntry,
  type CheckSource,
  type DeepAnalyzer,
  type EntryFacts,
  type ImageFacts,
  judge,
  type Reason,
  type ReasonCode,
  runChecks,
  type TargetRule,
  type Verdict,
} from './check/index.js';
// Copy and inspect over any ContentStore.
export {
  type BlobAction,
  type CopyEvent,
  type CopyOptions,
  type CopyPlan,
  type CopyResult,
  copy as copyStore,
  planCopy,
} from './copy/index.js';
export {
  type Digest,
  type DigestAlgorithm,
  digestOf,
  isDigest,
  parseDigest,
  shortDigest,
  VerifyingStream,
  verifyBytes,
} from './digest/index.js';
export { ArchfitError, ERROR_CODES, type ErrorCode, type ErrorKind, errorKind, isArchfitError } from './errors.js';
// Images: media types, documents, the store interface.
export {
  type Annotations,
  type BlobSource,
  type ContentStore,
  type Descriptor,
  type DescriptorPlatform,
  type FetchedManifest,
  getConfig,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  isAttestation,
  MANIFEST_ACCEPT,
  MediaType,
  type ParsedManifest,
  parseConfig,
  parseManifest,
  readBlobBytes,
} from './image/index.js';
export {
  type ConfigSummary,
  type InspectOptions,
  type InspectResult,
  inspect as inspectStore,
  type ManifestKind,
  type ManifestSummary,
  type SelectedImage,
} from './inspect/index.js';
export {
  DockerArchiveStore,
  isLocalLocation,
  type LocalLocation,
  OciLayoutStore,
  type OpenLayoutOptions,
  openDockerArchive,
  openLayout,
  parseLocalLocation,
} from './layout/index.js';
export { type ImageHandle, type OpenImageOptions, openImage } from './locate/index.js';
export {
  bestMatch,
  formatPlatform,
  fromSpecPlatform,
  type MatchMode,
  normalizePlatform,
  type Platform,
  type PlatformMatcher,
  parsePlatform,
  platformFromNode,
  platformMatcher,
  platformsEqual,
  sortPlatforms,
  toSpecPlatform,
} from './platform/index.js';
export { familiarString, parseReference, type Reference, withDigest, withTag } from './reference/index.js';
// Registries and credentials.
export {
  chainCredentialStores,
  createEcrRepository,
  defaultCredentialStore,
  dockerConfigCredentials,
  ecrCredentials,
  parseEcrHost,
  staticCredentials,
} from './registry/credentials/index.js';
export {
  type Clock,
  type Credential,
  type CredentialLookupOptions,
  type CredentialStore,
  DEFAULT_RETRY_POLICY,
  RegistryClient,
  type RegistryClientOptions,
  RegistryRepository,
  type RequestEvent,
  type RetryPolicy,
  redactUrl,
} from './registry/index.js';
// The deep check: the image's filesystem read from its layers, and its entrypoint traced and judged.
export {
  type AnalyzeEntrypointOptions,
  analyzeEntrypoint,
  DEFAULT_PATH,
  DEFAULT_ROOTFS_LIMITS,
  type EntrypointAnalysis,
  type EntrypointFinding,
  type EntrypointImage,
  type ExecStep,
  FINDING_CODES,
  type FindingCode,
  judgeEntrypoint,
  RootfsReader,
  traceEntrypoint,
} from './rootfs/index.js';
// Deployment targets and specs.
export {
  listTargets,
  platformTarget,
  type ReadSpecOptions,
  type ReadSpecResult,
  type ResolvedTarget,
  readSpec,
  resolveTarget,
  type SkippedEntry,
  type SpecSource,
  type SpecType,
  type TargetInfo,
  type Workload,
} from './targets/index.js';
export { VERSION } from './version.js';
