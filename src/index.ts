// The public library API: named re-exports only.
export { ArchfitError, ERROR_CODES, type ErrorCode, type ErrorKind, errorKind, isArchfitError } from './errors.js';
export { VERSION } from './version.js';
