// Credentials never reach a message, a log line or debug output: URLs lose their userinfo and the values of query
// parameters that carry signatures or tokens (pre-signed storage URLs), header values of Authorization and cookies
// are replaced, and every secret a client has handled (passwords, tokens) is scrubbed from any text verbatim.

export const REDACTED = 'REDACTED';

/** Query parameter names whose values are secrets: AWS/GCS/Azure signatures, OAuth tokens, passwords. */
const SENSITIVE_PARAM = /sig|token|credential|secret|pass|key|auth|session|policy|code/i;

/** Header names whose values are secrets. */
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-registry-auth']);

export function isSensitiveParam(name: string): boolean {
  return SENSITIVE_PARAM.test(name);
}

function redactQuery(query: string): string {
  // Works on the raw text so the rest of the query keeps its exact encoding.
  return query.replace(/([?&;]|^)([^=&;#]*)=([^&;#]*)/g, (whole, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {}
    return isSensitiveParam(decoded) ? `${sep}${name}=${REDACTED}` : whole;
  });
}

/** A URL fit for a message: no userinfo, no fragment, secret query values replaced. Never throws. */
export function redactUrl(url: string | URL): string {
  let text = typeof url === 'string' ? url : url.href;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    parsed.username = '';
    parsed.password = '';
    parsed.hash = '';
    text = parsed.href;
  } else {
    text = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1').replace(/#.*$/s, '');
  }
  const q = text.indexOf('?');
  return q === -1 ? text : text.slice(0, q) + redactQuery(text.slice(q));
}

/** Headers fit for a debug line: the values of Authorization, cookies and the like replaced. */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (SENSITIVE_HEADERS.has(lower) && value !== undefined) {
      const first = Array.isArray(value) ? value[0] : value;
      const scheme = /^(basic|bearer)\s/i.exec(first ?? '')?.[1];
      out[name] = scheme ? `${scheme} ${REDACTED}` : REDACTED;
    } else if (lower === 'location' && typeof value === 'string') {
      out[name] = redactUrl(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}

// Secrets that look like credentials anywhere in free text (an error body quoting a header, a URL in a message).
const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // Case-sensitive, as headers are written: "basic auth" in prose is left alone.
  [/\b(Bearer|Basic) +[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // JWTs (token servers' tokens, ECR's, GitHub's) start with a base64url JSON header "{"...
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*/g, REDACTED],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s?#@]*@/gi, '$1'],
];

/**
 * Scrubs credentials out of text: the secrets registered with it (verbatim, and their base64 and URL-encoded forms
 * are registered by the caller as needed) and anything that looks like one.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remembers a secret to scrub from every later text. Very short values are ignored: they would garble text. */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 4) return;
    this.secrets.add(secret);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) this.secrets.add(encoded);
  }

  /** Registers a username/password pair, including the base64 form a Basic header carries. */
  addBasic(username: string, password: string): void {
    this.add(password);
    this.add(Buffer.from(`${username}:${password}`, 'utf8').toString('base64'));
  }

  text(input: string): string {
    let out = input;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
    out = out.replace(/\b(https?:\/\/[^\s"'<>?]*)(\?[^\s"'<>]*)/gi, (_url, base: string, query: string) => {
      return base + redactQuery(query);
    });
    return out;
  }
}

/** Strips control characters and shortens untrusted text (a registry's error message) to one line. */
export function oneLine(text: string, max = 300): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
