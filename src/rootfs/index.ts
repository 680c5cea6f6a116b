// The image's root filesystem, read from its layers as streams through a ContentStore (never extracted, nothing
// written to disk), and the deep check of its entrypoint built on it.
//
// What a deep check can and cannot promise:
// - Facts come only from the bytes read. A layer is read only as far as needed, and a layer read only in part is
//   never verified: the store checks a blob's digest at its end, and the config's DiffID is checked only for layers
//   read to their end (`stopEarly: false` reads every opened layer to its end).
// - Memory is bounded by the limits, not by layer sizes: metadata of the entries read (`maxEntries`), heads of
//   executables (`maxCapturedBytes`), and decompressed bytes per layer (`maxLayerBytes`, which also stops bombs).
// - The answer is the kernel's on a plain host: a host with binfmt_misc emulation (qemu-user) registered runs
//   foreign binaries that are reported here as BINARY_ARCH_MISMATCH.
// - Execute permission is checked as for root (any x bit); a non-root USER may need another bit.
// - Each layer entry sits at its literal path: a lower layer's symlink on one of its parent directories is not
//   followed (containerd would write through it). With `stopEarly`, the first entry for a path in a layer answers,
//   so a later duplicate in the same layer is not seen.
export {
  createDecoders,
  FZSTD_MAX_WINDOW,
  type LayerCompression,
  nodeHasZstd,
  sniffCompression,
  type ZstdDecoder,
} from './decompress.js';
export {
  type AnalyzeEntrypointOptions,
  analyzeEntrypoint,
  architectureFits,
  commandOf,
  DEFAULT_PATH,
  type EntrypointAnalysis,
  type EntrypointImage,
  type EntrypointTrace,
  type ExecRole,
  type ExecStep,
  judgeEntrypoint,
  MAX_INTERPRETER_DEPTH,
  traceEntrypoint,
} from './entrypoint.js';
export { type EntrypointFinding, FINDING_CODES, type FindingCode, type FindingSeverity } from './findings.js';
export { LayerCursor, type LayerEntry, type LayerEntryType, type LayerReadOptions } from './layer-reader.js';
export { normalizePath } from './paths.js';
export {
  DEFAULT_ROOTFS_LIMITS,
  MAX_SYMLINK_HOPS,
  type Resolution,
  type ResolveErrno,
  type ResolveOptions,
  type RootfsLimits,
  type RootfsNode,
  RootfsReader,
  type RootfsReaderOptions,
} from './rootfs-reader.js';
export { ZstdFrameWalker, type ZstdFrameWalkerOptions } from './zstd-frames.js';
