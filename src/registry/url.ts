// URL and header plumbing of the distribution API: Location and Link resolved against the URL that answered (after
// redirects), query parameters added with URL APIs (a Location may already carry `?_state=…`), and the numeric
// headers (Content-Length, Content-Range, Range) parsed strictly as safe integers.
import { ArchfitError, quote } from '../errors.js';
import { isLoopbackHostname } from './endpoint.js';
import { redactUrl } from './redact.js';

export interface UrlPolicy {
  /** May plain HTTP be used with this host ("host:port" as in URL.host)? */
  allowHttp(host: string): boolean;
}

/**
 * Resolves a Location (or redirect, or Link) value against the URL of the response that carried it. Refuses what a
 * hostile registry could use against the client: other schemes, userinfo, a downgrade to plain HTTP on a host that
 * may not use it, and a jump from a remote host to a loopback one.
 */
export function resolveLocation(value: string, base: URL, policy: UrlPolicy, what = 'Location'): URL {
  let url: URL;
  try {
    url = new URL(value.trim(), base);
  } catch (cause) {
    throw new ArchfitError('REGISTRY_ERROR', `${redactUrl(base)}: invalid ${what} header ${quote(redactUrl(value))}`, {
      cause,
    });
  }
  const fail = (why: string) =>
    new ArchfitError('REGISTRY_ERROR', `${redactUrl(base)}: refusing ${what} ${quote(redactUrl(url))}: ${why}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail('not an http(s) URL');
  if (url.username !== '' || url.password !== '') throw fail('it carries credentials');
  if (url.protocol === 'http:' && !policy.allowHttp(url.host)) throw fail('plain HTTP to a host that is not insecure');
  if (url.host !== base.host && isLoopbackHostname(url.hostname) && !isLoopbackHostname(base.hostname)) {
    throw fail('a remote registry may not send the client to a loopback address');
  }
  url.hash = '';
  return url;
}

/** The same URL with query parameters set (replacing any of the same name), keeping the rest of its query. */
export function withQuery(url: URL, params: Record<string, string | number | undefined>): URL {
  const out = new URL(url.href);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) out.searchParams.set(name, String(value));
  }
  return out;
}

export function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

/** Parses a `Link` header and returns the target of `rel="next"`, if any. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(', ') : header;
  // link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ); values separated by commas.
  const re = /<([^>]*)>((?:\s*;\s*[^;,"]*(?:"[^"]*"[^;,"]*)*)*)/g;
  for (const m of text.matchAll(re)) {
    const params = m[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return m[1];
  }
  return undefined;
}

/** A header value that must be a non-negative safe integer (Content-Length); undefined when absent or malformed. */
export function parseSafeInteger(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  if (!/^[0-9]{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface ContentRange {
  start: number;
  end: number;
  /** undefined for "/*". */
  total?: number;
}

/** `Content-Range: bytes start-end/total|*`; undefined when malformed or inconsistent. */
export function parseContentRange(value: string | string[] | undefined): ContentRange | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  const m = /^\s*bytes\s+([0-9]{1,16})-([0-9]{1,16})\/([0-9]{1,16}|\*)\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (total !== undefined && (!Number.isSafeInteger(total) || end >= total)) return undefined;
  return total === undefined ? { start, end } : { start, end, total };
}

/** The upload `Range: 0-<last>` header of an upload session (also tolerates a "bytes=" prefix). */
export function parseUploadRange(value: string | string[] | undefined): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  const m = /^\s*(?:bytes=)?([0-9]{1,16})-([0-9]{1,16})\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) ? { start, end } : undefined;
}

/** A single header value (the first when a server repeated it). */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
