export * from './media-types.js';
export {
  MAX_INDEX_ENTRIES,
  MAX_LAYERS,
  MAX_MANIFEST_BYTES,
  type ParseManifestOptions,
  parseConfig,
  parseDescriptor,
  parseManifest,
} from './parse.js';
export { getConfig, readBlobBytes } from './read.js';
export type * from './store.js';
export * from './types.js';
