// WWW-Authenticate (RFC 7235 §4.1, RFC 9110 §11.6.1): one or more challenges, each an auth-scheme followed by either a
// token68 or a comma-separated list of auth-params (token = token / quoted-string). Commas separate both params and
// challenges, so a new challenge is recognised as a token that is not followed by "=".
//
// The parser is total: any input yields a (possibly empty) list, in time linear in its length, without throwing.
// It is lenient where servers are sloppy (params separated by spaces only, an unterminated quoted string, stray
// characters are skipped up to the next comma) and strict where it matters: scheme and param names are tokens, a
// repeated param keeps its first value (so a later duplicate cannot override a realm), and params live in an object
// without a prototype (a param named "__proto__" is just a param).

export interface Challenge {
  /** The auth-scheme, lowercased: "bearer", "basic". */
  scheme: string;
  /** auth-params by lowercased name; values unquoted and unescaped. */
  params: Readonly<Record<string, string>>;
  /** The token68 form (`Negotiate abc==`), when the scheme carries one instead of params. */
  token68?: string;
}

/** Headers longer than this are cut before parsing: real challenges are a few hundred bytes. */
export const MAX_CHALLENGE_HEADER = 16 * 1024;

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

function isTchar(c: string | undefined): boolean {
  return c !== undefined && TCHAR.test(c);
}

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.pos >= this.s.length;
  }

  peek(offset = 0): string | undefined {
    return this.s[this.pos + offset];
  }

  skipWs(): void {
    while (isWs(this.peek())) this.pos++;
  }

  /** Skips whitespace and commas (empty list elements are allowed by the list syntax). */
  skipSeparators(): void {
    while (isWs(this.peek()) || this.peek() === ',') this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (isTchar(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** After the opening quote: up to the closing quote, with backslash escapes; unterminated → rest of input. */
  quoted(): string {
    let out = '';
    while (!this.done) {
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\' && !this.done) out += this.s[this.pos++]!;
      else out += c;
    }
    return out;
  }

  /** Skips to just after the next comma (garbage recovery). */
  skipToComma(): void {
    while (!this.done && this.peek() !== ',') {
      if (this.peek() === '"') {
        this.pos++;
        this.quoted();
      } else this.pos++;
    }
  }
}

/** If a token68 starts here and is the whole challenge body (followed by a comma or the end), returns it. */
function tryToken68(sc: Scanner): string | undefined {
  let i = sc.pos;
  const s = sc.s;
  while (i < s.length && TOKEN68_CHAR.test(s[i]!)) i++;
  if (i === sc.pos) return undefined;
  while (s[i] === '=') i++;
  let j = i;
  while (isWs(s[j])) j++;
  if (j < s.length && s[j] !== ',') return undefined;
  const value = s.slice(sc.pos, i);
  sc.pos = j;
  return value;
}

/** Parses one header value into its challenges. */
export function parseChallenges(header: string): Challenge[] {
  const sc = new Scanner(header.length > MAX_CHALLENGE_HEADER ? header.slice(0, MAX_CHALLENGE_HEADER) : header);
  const out: Challenge[] = [];
  while (true) {
    sc.skipSeparators();
    if (sc.done) break;
    const scheme = sc.token();
    if (scheme === '' || !(sc.done || isWs(sc.peek()) || sc.peek() === ',')) {
      // Not a challenge start: skip this list element.
      sc.skipToComma();
      continue;
    }
    const params: Record<string, string> = Object.create(null);
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params };
    out.push(challenge);
    sc.skipWs();
    // A token68 is recognisable only when it is not the start of "name=value".
    const save = sc.pos;
    const nameAhead = sc.token();
    let k = sc.pos;
    while (isWs(sc.s[k])) k++;
    const looksLikeParam = nameAhead !== '' && sc.s[k] === '=' && sc.s[k + 1] !== '=' && !isToken68Tail(sc.s, k);
    sc.pos = save;
    if (!looksLikeParam) {
      const t68 = tryToken68(sc);
      if (t68 !== undefined) {
        challenge.token68 = t68;
        continue;
      }
    }
    // auth-params until a token that is not followed by "=" (the next challenge's scheme) or the end.
    while (true) {
      sc.skipSeparators();
      if (sc.done) break;
      const paramStart = sc.pos;
      const name = sc.token();
      if (name === '') {
        // Garbage inside the challenge (a stray quote, a non-token character): drop this list element.
        sc.skipToComma();
        continue;
      }
      sc.skipWs();
      if (sc.peek() !== '=') {
        sc.pos = paramStart;
        break;
      }
      sc.pos++; // '='
      sc.skipWs();
      let value: string;
      if (sc.peek() === '"') {
        sc.pos++;
        value = sc.quoted();
      } else {
        value = sc.token();
      }
      const key = name.toLowerCase();
      if (!Object.hasOwn(params, key)) params[key] = value;
      // Anything glued to the value up to the next separator is garbage.
      if (!sc.done && !isWs(sc.peek()) && sc.peek() !== ',') sc.skipToComma();
    }
  }
  return out;
}

/** Is s[k] ("=") the padding at the end of a token68 (followed only by more "=" and then a comma or the end)? */
function isToken68Tail(s: string, k: number): boolean {
  let i = k;
  while (s[i] === '=') i++;
  while (isWs(s[i])) i++;
  return i >= s.length || s[i] === ',';
}

/** Parses every WWW-Authenticate header of a response (undici gives an array when there are several). */
export function parseWwwAuthenticate(value: string | readonly string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  const values = typeof value === 'string' ? [value] : value;
  return values.flatMap((v) => parseChallenges(v));
}

/** The bearer challenge of a response, when there is one with a realm. */
export interface BearerChallenge {
  realm: string;
  service?: string;
  /** Scopes named by the challenge (space-separated in the header). */
  scopes: string[];
  /** `error="insufficient_scope"` / `"invalid_token"`, when given. */
  error?: string;
}

export function bearerChallenge(challenges: readonly Challenge[]): BearerChallenge | undefined {
  for (const c of challenges) {
    if (c.scheme !== 'bearer') continue;
    const realm = c.params['realm'];
    if (realm === undefined || realm === '') continue;
    const out: BearerChallenge = { realm, scopes: (c.params['scope'] ?? '').split(' ').filter(Boolean) };
    const service = c.params['service'];
    if (service !== undefined) out.service = service;
    const error = c.params['error'];
    if (error !== undefined) out.error = error;
    return out;
  }
  return undefined;
}

export function hasBasicChallenge(challenges: readonly Challenge[]): boolean {
  return challenges.some((c) => c.scheme === 'basic');
}
