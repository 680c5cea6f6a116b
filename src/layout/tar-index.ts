// A table of a tar file's entries (name → offset and size), built by reading only the 512-byte headers and seeking
// past the contents, so an archive of gigabytes is indexed with a few kilobytes of reads and read later by byte
// range. Names are normalised inside a virtual root; a name that climbs out of it makes the archive invalid.
// Symbolic and hard links are resolved on lookup, with a bound on the hops. Duplicate names: the last one wins.
import { type FileHandle, open } from 'node:fs/promises';
import { ArchfitError, quote } from '../errors.js';
import { fileError, readRange, throwIfAborted } from './fs-util.js';

const BLOCK = 512;
/** PAX and GNU long-name headers are a few hundred bytes in practice; anything bigger is hostile. */
const MAX_EXTENDED_HEADER = 1024 * 1024;
/** Docker archives hold a few files per layer; this is far beyond any real one. */
export const MAX_TAR_ENTRIES = 100_000;
/** Linux gives ELOOP after 40 links in one lookup. */
const MAX_LINK_HOPS = 40;
const HEADER_ONLY_TYPES = new Set(['1', '2', '3', '4', '5', '6']);

export type TarEntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Normalised: no leading "/" or "./", no "." or ".." components, no trailing "/". */
  readonly name: string;
  readonly kind: TarEntryKind;
  /** Where the contents start in the file (regular files; hard links resolved at scan time share their target's). */
  readonly offset: number;
  readonly size: number;
  /** Symlinks: the target as written. Unresolved hard links: the normalised target name. */
  readonly linkTarget?: string;
}

export interface TarScanOptions {
  signal?: AbortSignal | undefined;
  /** Names the archive in messages. */
  source: string;
  maxEntries?: number;
}

function invalid(source: string, message: string): ArchfitError {
  return new ArchfitError('ARCHIVE_INVALID', `${source}: ${message}`);
}

/**
 * Splits and normalises a path inside the archive's root. Returns undefined when it climbs above the root (the
 * caller decides whether that is an error or a clamp).
 */
export function normaliseArchivePath(path: string, base: readonly string[] = []): string[] | undefined {
  const out = path.startsWith('/') ? [] : [...base];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

export class TarIndex {
  readonly path: string;
  /** Bytes in the file when it was scanned. */
  readonly fileSize: number;
  readonly source: string;
  private readonly entries: Map<string, TarEntry>;

  private constructor(path: string, fileSize: number, source: string, entries: Map<string, TarEntry>) {
    this.path = path;
    this.fileSize = fileSize;
    this.source = source;
    this.entries = entries;
  }

  /** Reads the headers of the tar at `path`. Throws ARCHIVE_INVALID for anything that is not a sound tar. */
  static async scan(path: string, options: TarScanOptions): Promise<TarIndex> {
    const source = options.source;
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'r');
      const stat = await handle.stat();
      if (!stat.isFile()) throw invalid(source, 'not a regular file');
      const entries = await scanEntries(handle, stat.size, options);
      return new TarIndex(path, stat.size, source, entries);
    } catch (error) {
      throw fileError(error, source);
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  /**
   * The regular file a path names, following symbolic links in any component and hard links (chroot semantics:
   * ".." stops at the root). Undefined when nothing is there; ARCHIVE_INVALID for a path that climbs out of the
   * root, a link loop or a hard link to an entry that does not precede it.
   */
  lookup(name: string): TarEntry | undefined {
    const start = normaliseArchivePath(name);
    if (start === undefined) throw invalid(this.source, `path ${quote(name)} leads outside the archive`);
    let pending = start;
    let resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const [head, ...rest] = pending as [string, ...string[]];
      const candidate = [...resolved, head];
      const entry = this.entries.get(candidate.join('/'));
      if (entry?.kind === 'symlink') {
        hops += 1;
        if (hops > MAX_LINK_HOPS) throw invalid(this.source, `too many symbolic links resolving ${quote(name)}`);
        const target = entry.linkTarget ?? '';
        // chroot semantics: ".." above the root stays at the root
        const next: string[] = target.startsWith('/') ? [] : [...resolved];
        for (const part of target.split('/')) {
          if (part === '' || part === '.') continue;
          if (part === '..') next.pop();
          else next.push(part);
        }
        pending = [...next, ...rest];
        resolved = [];
        continue;
      }
      resolved = candidate;
      pending = rest;
    }
    const entry = this.entries.get(resolved.join('/'));
    if (entry === undefined) return undefined;
    if (entry.kind === 'hardlink') {
      throw invalid(
        this.source,
        `${quote(entry.name)} is a hard link to ${quote(entry.linkTarget)}, which is not an earlier entry`,
      );
    }
    return entry;
  }
}

interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
}

async function scanEntries(
  handle: FileHandle,
  fileSize: number,
  options: TarScanOptions,
): Promise<Map<string, TarEntry>> {
  const source = options.source;
  const maxEntries = options.maxEntries ?? MAX_TAR_ENTRIES;
  const entries = new Map<string, TarEntry>();
  if (fileSize >= 4) {
    const magic = await readRange(handle, 0, 4, source, 4);
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      throw invalid(source, 'the archive is gzip-compressed; decompress it first (gunzip)');
    }
    if (magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd) {
      throw invalid(source, 'the archive is zstd-compressed; decompress it first (zstd -d)');
    }
  }
  if (fileSize < BLOCK) throw invalid(source, `not a tar archive (${fileSize} bytes)`);
  let position = 0;
  let pending: Pending = {};
  let headers = 0;
  while (position + BLOCK <= fileSize) {
    throwIfAborted(options.signal, source);
    const block = await readRange(handle, position, BLOCK, source, BLOCK);
    if (isZeroBlock(block)) break;
    headers += 1;
    if (headers > maxEntries * 2) throw invalid(source, `more than ${maxEntries} entries`);
    const header = parseHeader(block, position, source);
    const dataOffset = position + BLOCK;
    const extended = isExtendedType(header.type);
    const size = !extended && pending.size !== undefined ? pending.size : header.size;
    // As Go's archive/tar: links, directories, devices and FIFOs carry no data whatever their size field says.
    const dataSize = !extended && HEADER_ONLY_TYPES.has(header.type) ? 0 : size;
    if (dataOffset + dataSize > fileSize) {
      throw invalid(source, `truncated: the entry at offset ${position} needs ${dataSize} bytes past the end`);
    }
    position = dataOffset + Math.ceil(dataSize / BLOCK) * BLOCK;

    switch (header.type) {
      case 'x': {
        const data = await readExtended(handle, dataOffset, dataSize, source, 'PAX header');
        pending = { ...pending, ...parsePax(data, source, dataOffset) };
        continue;
      }
      case 'g': {
        // Global PAX headers: read to validate the size, contents do not matter for locating files.
        if (dataSize > MAX_EXTENDED_HEADER) throw invalid(source, `PAX global header of ${dataSize} bytes`);
        continue;
      }
      case 'L': {
        const data = await readExtended(handle, dataOffset, dataSize, source, 'GNU long name');
        pending = { ...pending, path: cString(data) };
        continue;
      }
      case 'K': {
        const data = await readExtended(handle, dataOffset, dataSize, source, 'GNU long link name');
        pending = { ...pending, linkpath: cString(data) };
        continue;
      }
      default:
        break;
    }

    const rawName = pending.path ?? header.name;
    const rawLink = pending.linkpath ?? header.linkname;
    pending = {};
    if (rawName === '' || rawName.includes('\0'))
      throw invalid(source, `an entry at offset ${header.offset} has an empty name`);
    const parts = normaliseArchivePath(rawName);
    if (parts === undefined) throw invalid(source, `entry ${quote(rawName)} leads outside the archive`);
    const name = parts.join('/');
    if (name === '') continue; // "./" itself
    if (entries.size >= maxEntries && !entries.has(name)) throw invalid(source, `more than ${maxEntries} entries`);

    let entry: TarEntry;
    switch (header.type) {
      case '0':
      case '\0':
      case '7':
        entry = { name, kind: 'file', offset: dataOffset, size: dataSize };
        break;
      case '1': {
        const targetParts = normaliseArchivePath(rawLink);
        if (targetParts === undefined) throw invalid(source, `hard link ${quote(rawName)} points outside the archive`);
        const target = entries.get(targetParts.join('/'));
        // A hard link shares the data of an entry that precedes it; resolve it now, so a later entry of the same
        // name (last wins) does not change what the link meant.
        entry =
          target?.kind === 'file'
            ? { name, kind: 'file', offset: target.offset, size: target.size }
            : { name, kind: 'hardlink', offset: 0, size: 0, linkTarget: targetParts.join('/') };
        break;
      }
      case '2':
        entry = { name, kind: 'symlink', offset: 0, size: 0, linkTarget: rawLink };
        break;
      case '5':
        entry = { name, kind: 'directory', offset: 0, size: 0 };
        break;
      default:
        entry = { name, kind: 'other', offset: dataOffset, size: dataSize };
    }
    entries.delete(name); // keep insertion order = order of the last occurrence
    entries.set(name, entry);
  }
  if (headers === 0) throw invalid(source, 'the archive is empty');
  return entries;
}

function isExtendedType(type: string): boolean {
  return type === 'x' || type === 'g' || type === 'L' || type === 'K';
}

function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

async function readExtended(
  handle: FileHandle,
  offset: number,
  size: number,
  source: string,
  what: string,
): Promise<Buffer> {
  if (size > MAX_EXTENDED_HEADER) throw invalid(source, `${what} of ${size} bytes at offset ${offset} is too large`);
  return readRange(handle, offset, size, source, MAX_EXTENDED_HEADER);
}

interface Header {
  offset: number;
  name: string;
  size: number;
  type: string;
  linkname: string;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return (end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

function parseHeader(block: Buffer, offset: number, source: string): Header {
  const stored = parseNumeric(block.subarray(148, 156), offset, source, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    throw invalid(source, `bad tar header checksum at offset ${offset} (not a tar archive, or corrupt)`);
  }
  let name = cString(block.subarray(0, 100));
  const magic = block.toString('latin1', 257, 263);
  if (magic === 'ustar\0') {
    // POSIX ustar: a prefix field extends the name (GNU tar uses that area for other fields).
    const prefix = cString(block.subarray(345, 500));
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const size = parseNumeric(block.subarray(124, 136), offset, source, 'size');
  return {
    offset,
    name,
    size,
    type: String.fromCharCode(block[156] as number),
    linkname: cString(block.subarray(157, 257)),
  };
}

/** Octal (NUL- or space-terminated) or GNU base-256; negative and unsafe values are refused. */
function parseNumeric(field: Buffer, offset: number, source: string, what: string): number {
  const first = field[0] as number;
  if (first & 0x80) {
    if (first === 0xff) throw invalid(source, `negative ${what} in the tar header at offset ${offset}`);
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] as number);
      if (!Number.isSafeInteger(value))
        throw invalid(source, `${what} too large in the tar header at offset ${offset}`);
    }
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw invalid(source, `invalid ${what} ${quote(text)} in the tar header at offset ${offset}`);
  const value = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw invalid(source, `${what} too large in the tar header at offset ${offset}`);
  return value;
}

/** PAX records: "<length> <key>=<value>\n", length counting the whole record. */
function parsePax(data: Buffer, source: string, offset: number): Pending {
  const out: Pending = {};
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // NUL padding
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw invalid(source, `malformed PAX header at offset ${offset}`);
    const lengthText = data.toString('latin1', pos, space);
    if (!/^[0-9]{1,8}$/.test(lengthText)) throw invalid(source, `malformed PAX record length at offset ${offset}`);
    const length = Number.parseInt(lengthText, 10);
    const end = pos + length;
    if (length <= space - pos + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw invalid(source, `malformed PAX record at offset ${offset}`);
    }
    const record = data.toString('utf8', space + 1, end - 1);
    const eq = record.indexOf('=');
    if (eq === -1) throw invalid(source, `malformed PAX record at offset ${offset}`);
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw invalid(source, `invalid PAX size ${quote(value)} at offset ${offset}`);
      }
      out.size = Number(value);
    }
    pos = end;
  }
  return out;
}
