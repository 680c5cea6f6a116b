// Reading docker's config.json and containers-auth.json (the same shape for what matters here): `auths` keyed by
// registry, `credHelpers` keyed by registry, and docker's `credsStore`. Nothing read from these files ever reaches a
// message: not the parser's error text (it quotes the file), not an entry's value.
import { readFile } from 'node:fs/promises';
import { ArchfitError, quote } from '../../errors.js';
import type { Credential } from '../credential-types.js';

export interface AuthFile {
  path: string;
  /** `auths`, in file order. Values are untrusted JSON. */
  auths: Map<string, unknown>;
  /** `credHelpers`: registry key → helper name (the part after "docker-credential-"). */
  credHelpers: Map<string, string>;
  /** `credsStore`: the helper for every registry without its own. */
  credsStore: string | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(path: string, why: string): ArchfitError {
  return new ArchfitError('INVALID_ARGUMENT', `credentials file ${quote(path)} ${why}`, { details: { path } });
}

/** Where in the text a JSON parse error points, as "line L, column C" (the parser's own message quotes the text). */
function parseErrorPosition(error: unknown, text: string): string {
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  if (!match) return '';
  const offset = Math.min(Number(match[1]), text.length);
  const before = text.slice(0, offset).split('\n');
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}

/** The file's content, or undefined when it does not exist. A file that exists but cannot be used is an error. */
export async function readAuthFile(path: string, signal?: AbortSignal): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (signal?.aborted) throw signal.reason;
    throw new ArchfitError('IO_ERROR', `cannot read credentials file ${quote(path)}${code ? ` (${code})` : ''}`, {
      cause: error,
      details: { path },
    });
  }
  const file: AuthFile = { path, auths: new Map(), credHelpers: new Map(), credsStore: undefined };
  if (text.trim() === '') return file; // docker treats an empty file as an empty config
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(path, `is not valid JSON${parseErrorPosition(error, text)}`);
  }
  if (!isObject(json)) throw invalid(path, 'is not a JSON object');
  const { auths, credHelpers, credsStore } = json;
  if (auths !== undefined && auths !== null) {
    if (!isObject(auths)) throw invalid(path, 'has an "auths" that is not an object');
    for (const [key, entry] of Object.entries(auths)) file.auths.set(key, entry);
  }
  if (credHelpers !== undefined && credHelpers !== null) {
    if (!isObject(credHelpers)) throw invalid(path, 'has a "credHelpers" that is not an object');
    for (const [key, helper] of Object.entries(credHelpers)) {
      if (typeof helper !== 'string')
        throw invalid(path, `has a "credHelpers" entry for ${quote(key)} that is not a string`);
      if (helper !== '') file.credHelpers.set(key, helper);
    }
  }
  if (credsStore !== undefined && credsStore !== null) {
    if (typeof credsStore !== 'string') throw invalid(path, 'has a "credsStore" that is not a string');
    if (credsStore !== '') file.credsStore = credsStore;
  }
  return file;
}

function stringField(entry: Record<string, unknown>, name: string, path: string, key: string): string | undefined {
  const value = entry[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(path, `has a "${name}" for ${quote(key)} that is not a string`);
  return value;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The credential an `auths` entry holds, or undefined for an entry with none (docker writes `{}` when a credsStore
 * keeps the secret). `auth` is base64 of "user:password" and wins over `username`/`password`.
 */
export function entryCredential(file: AuthFile, key: string): Credential | undefined {
  const entry = file.auths.get(key);
  if (entry === undefined || entry === null) return undefined;
  if (!isObject(entry)) throw invalid(file.path, `has an "auths" entry for ${quote(key)} that is not an object`);
  let username = stringField(entry, 'username', file.path, key);
  let password = stringField(entry, 'password', file.path, key);
  const auth = stringField(entry, 'auth', file.path, key);
  if (auth !== undefined) {
    const compact = auth.replace(/\s+/g, '');
    const decoded = BASE64.test(compact) ? Buffer.from(compact, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon === -1) throw invalid(file.path, `has an "auth" for ${quote(key)} that is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = stringField(entry, 'identitytoken', file.path, key);
  const registryToken = stringField(entry, 'registrytoken', file.path, key);
  const credential: Credential = {};
  if (username) credential.username = username;
  // With an identity token docker stores an empty password; that is not a password to send.
  if (password || (password === '' && username && identityToken === undefined)) credential.password = password;
  if (identityToken) credential.identityToken = identityToken;
  if (registryToken) credential.registryToken = registryToken;
  return Object.keys(credential).length === 0 ? undefined : credential;
}
