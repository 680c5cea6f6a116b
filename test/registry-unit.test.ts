// Unit tests of the registry store's pure parts (challenge parser, redaction, endpoints, URLs, retry arithmetic,
// scopes, token responses, error lines) and, against small scripted HTTP servers on 127.0.0.1, the wire behaviours a
// real registry cannot be made to show: lying headers, oversized bodies, redirects to another host, ranges ignored.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MockAgent } from 'undici';
import type { Digest } from '../src/digest/index.js';
import { ArchfitError, isArchfitError } from '../src/errors.js';
import { MediaType } from '../src/image/index.js';
import { parseTokenResponse, tokenIsFresh } from '../src/registry/auth.js';
import { MAX_CHALLENGE_HEADER } from '../src/registry/challenge.js';
import { checkRepository, parseHostPort } from '../src/registry/endpoint.js';
import { statusError, transportError } from '../src/registry/errors.js';
import {
  bearerChallenge,
  type Clock,
  isEcrHost,
  isLoopbackHostname,
  nextLink,
  parseChallenges,
  parseRetryAfter,
  parseScope,
  parseWwwAuthenticate,
  Redactor,
  RegistryClient,
  redactHeaders,
  redactUrl,
  resolveEndpoint,
  resolveLocation,
  ScopeSet,
  withQuery,
} from '../src/registry/index.js';
import { oneLine } from '../src/registry/redact.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, RetryBudget } from '../src/registry/retry.js';
import { parseContentRange, parseSafeInteger } from '../src/registry/url.js';
import { VERSION } from '../src/version.js';

const sha256 = (b: Buffer | string): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const plain = (o: Readonly<Record<string, string>>) => ({ ...o });

// --- WWW-Authenticate ----------------------------------------------------------------------------------------------

describe('WWW-Authenticate parser', () => {
  const rows: Array<[string, Array<{ scheme: string; params?: Record<string, string>; token68?: string }>]> = [
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/ubuntu:pull',
          },
        },
      ],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Basic realm="a", Bearer realm="b",service="c"',
      [
        { scheme: 'basic', params: { realm: 'a' } },
        { scheme: 'bearer', params: { realm: 'b', service: 'c' } },
      ],
    ],
    ['Bearer realm="a\\"b\\\\c"', [{ scheme: 'bearer', params: { realm: 'a"b\\c' } }]],
    ['BEARER REALM="x"', [{ scheme: 'bearer', params: { realm: 'x' } }]],
    ['Bearer realm = "x" , service = y', [{ scheme: 'bearer', params: { realm: 'x', service: 'y' } }]],
    [
      'Negotiate abc==, Basic realm="x"',
      [
        { scheme: 'negotiate', token68: 'abc==' },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    ],
    ['Negotiate a+b/c=', [{ scheme: 'negotiate', token68: 'a+b/c=' }]],
    ['', []],
    ['   ,  , ', []],
    ['Bearer realm="a",realm="b"', [{ scheme: 'bearer', params: { realm: 'a' } }]],
    [
      'Bearer realm="a,b",scope="repository:x:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'a,b', scope: 'repository:x:pull,push' } }],
    ],
    ['Bearer realm="a" service="b"', [{ scheme: 'bearer', params: { realm: 'a', service: 'b' } }]],
    ['Bearer realm="abc', [{ scheme: 'bearer', params: { realm: 'abc' } }]],
    [',,, "x", Bearer realm=y', [{ scheme: 'bearer', params: { realm: 'y' } }]],
    ['Bearer', [{ scheme: 'bearer', params: {} }]],
    [
      'Bearer realm="a" Basic realm="b"',
      [
        { scheme: 'bearer', params: { realm: 'a' } },
        { scheme: 'basic', params: { realm: 'b' } },
      ],
    ],
    ['Bearer realm=x"junk", service=s', [{ scheme: 'bearer', params: { realm: 'x', service: 's' } }]],
    ['Bearer @@@, realm="r"', [{ scheme: 'bearer', params: { realm: 'r' } }]],
    ['Bearer error="invalid_token", realm="r"', [{ scheme: 'bearer', params: { error: 'invalid_token', realm: 'r' } }]],
  ];
  for (const [input, expected] of rows) {
    test(`parses ${JSON.stringify(input)}`, () => {
      const got = parseChallenges(input).map((c) => ({
        scheme: c.scheme,
        ...(c.token68 !== undefined ? { token68: c.token68 } : { params: plain(c.params) }),
      }));
      assert.deepEqual(got, expected);
    });
  }

  test('a param named __proto__ is only a param', () => {
    const [c] = parseChallenges('Bearer __proto__="x", constructor=y, realm=r');
    const proto = '__proto__';
    assert.equal(Object.getOwnPropertyDescriptor(c?.params, proto)?.value, 'x');
    assert.equal(c?.params['constructor'], 'y');
    assert.equal(Object.getPrototypeOf(c?.params), null);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  test('several headers (undici gives an array) and the bearer challenge with its scopes', () => {
    const challenges = parseWwwAuthenticate([
      'Basic realm="x"',
      'Bearer realm="https://t/token",service="s",scope="repository:a:pull repository:b:pull,push",error="insufficient_scope"',
    ]);
    assert.equal(challenges.length, 2);
    assert.deepEqual(bearerChallenge(challenges), {
      realm: 'https://t/token',
      service: 's',
      scopes: ['repository:a:pull', 'repository:b:pull,push'],
      error: 'insufficient_scope',
    });
    assert.equal(bearerChallenge(parseChallenges('Bearer service="s"')), undefined);
  });

  test('never throws and always ends, on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const out = parseChallenges(s);
        assert.ok(Array.isArray(out));
        for (const c of out) assert.match(c.scheme, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
      }),
      { numRuns: 3000 },
    );
  });

  test('grammar-shaped noise', () => {
    const piece = fc.constantFrom('Bearer', 'Basic', 'realm', '=', '"', '\\', ',', ' ', 'a', 'x=y', '==', '\t', 'é');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        parseChallenges(parts.join(''));
      }),
      { numRuns: 3000 },
    );
  });

  test('round-trips well-formed challenges', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,10}$/);
    const value = fc.string({ maxLength: 20 }).filter((v) => !/[\u0000-\u001f\u007f]/.test(v));
    const challenge = fc.record({
      scheme: token,
      params: fc.uniqueArray(fc.tuple(token, value), {
        selector: ([k]) => k.toLowerCase(),
        minLength: 1,
        maxLength: 4,
      }),
    });
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 3 }), fc.constantFrom(',', ', ', ' , '), (cs, sep) => {
        const text = cs
          .map(
            (c) =>
              `${c.scheme} ${c.params.map(([k, v]) => `${k}="${v.replace(/["\\]/g, (m) => `\\${m}`)}"`).join(sep)}`,
          )
          .join(sep);
        const parsed = parseChallenges(text);
        assert.deepEqual(
          parsed.map((p) => ({ scheme: p.scheme, params: plain(p.params) })),
          cs.map((c) => ({
            scheme: c.scheme.toLowerCase(),
            params: Object.fromEntries(c.params.map(([k, v]) => [k.toLowerCase(), v])),
          })),
        );
      }),
      { numRuns: 1000 },
    );
  });

  test('is linear on long hostile input', () => {
    for (const unit of ['"', '\\', 'a=', 'Bearer ', ',', 'a="\\"', '=']) {
      const input = unit.repeat(Math.ceil((MAX_CHALLENGE_HEADER * 4) / unit.length));
      const started = process.hrtime.bigint();
      parseChallenges(input);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 200, `${JSON.stringify(unit)} took ${ms} ms`);
    }
  });
});

// --- redaction -----------------------------------------------------------------------------------------------------

describe('redaction', () => {
  test('URLs lose userinfo, fragments and signed-URL secrets; the rest keeps its encoding', () => {
    const url =
      'https://user:pa55@bucket.s3.amazonaws.com/docker/blobs/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok&digest=sha256%3Aab#frag';
    const out = redactUrl(url);
    assert.equal(
      out,
      'https://bucket.s3.amazonaws.com/docker/blobs/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED&digest=sha256%3Aab',
    );
    assert.equal(
      redactUrl('https://h/v2/?_state=abc&mount=sha256:1&from=a%2Fb'),
      'https://h/v2/?_state=abc&mount=sha256:1&from=a%2Fb',
    );
    assert.equal(
      redactUrl('https://h/cdn?sig=1&se=2&sp=r&Key-Pair-Id=K&Policy=P'),
      'https://h/cdn?sig=REDACTED&se=2&sp=r&Key-Pair-Id=REDACTED&Policy=REDACTED',
    );
    assert.equal(redactUrl('not a url://u:p@x?token=1'), 'not a url://u:p@x?token=REDACTED');
    assert.equal(redactUrl('ftp://u:p@x/y?access_token=1'), 'ftp://x/y?access_token=REDACTED');
  });

  test('headers: Authorization and cookies replaced, scheme kept', () => {
    assert.deepEqual(
      redactHeaders({
        Authorization: 'Bearer abc.def',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        cookie: 'a=b',
        location: 'https://u:p@h/x?X-Amz-Signature=1',
        accept: 'x',
      }),
      {
        Authorization: 'Bearer REDACTED',
        'proxy-authorization': 'Basic REDACTED',
        cookie: 'REDACTED',
        location: 'https://h/x?X-Amz-Signature=REDACTED',
        accept: 'x',
      },
    );
  });

  test('Redactor scrubs registered secrets (raw, URL-encoded, Basic base64) and anything token-shaped', () => {
    const r = new Redactor();
    r.addBasic('me', 'p@ss word!');
    r.add('opaque-registry-token');
    r.add('abc'); // too short to scrub safely
    const b64 = Buffer.from('me:p@ss word!').toString('base64');
    const text = r.text(
      `pw p@ss word! enc ${encodeURIComponent('p@ss word!')} hdr Basic ${b64} tok opaque-registry-token jwt eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln Bearer 0123456789abcdef https://u:v@h/x?token=zzz basic auth abc`,
    );
    for (const secret of [
      'p@ss word!',
      encodeURIComponent('p@ss word!'),
      b64,
      'opaque-registry-token',
      'eyJ',
      '0123456789abcdef',
      'u:v@',
      'zzz',
    ]) {
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    }
    assert.ok(text.includes('basic auth abc'));
  });

  test('oneLine flattens control characters and shortens', () => {
    assert.equal(oneLine('a\nb\r\n\tc\u001b[31m'), 'a b c [31m');
    assert.equal(oneLine('x'.repeat(400)).length, 301);
  });
});

// --- endpoints -----------------------------------------------------------------------------------------------------

describe('endpoints', () => {
  test('Docker Hub names dial registry-1.docker.io over https only', () => {
    for (const name of ['docker.io', 'index.docker.io', 'DOCKER.IO']) {
      assert.deepEqual(resolveEndpoint(name), {
        name: name.toLowerCase(),
        host: 'registry-1.docker.io',
        allowHttp: false,
      });
    }
  });

  test('plain HTTP only for loopback or named insecure hosts', () => {
    assert.equal(resolveEndpoint('127.0.0.1:5000').allowHttp, true);
    assert.equal(resolveEndpoint('127.3.2.1').allowHttp, true);
    assert.equal(resolveEndpoint('localhost:5000').allowHttp, true);
    assert.equal(resolveEndpoint('[::1]:5000').allowHttp, true);
    assert.equal(resolveEndpoint('10.0.0.1:5000').allowHttp, false);
    assert.equal(resolveEndpoint('registry.example.com:5000').allowHttp, false);
    assert.equal(
      resolveEndpoint('registry.example.com:5000', { insecureRegistries: ['registry.example.com:5000'] }).allowHttp,
      true,
    );
    assert.equal(
      resolveEndpoint('registry.example.com:5000', { insecureRegistries: ['registry.example.com:5001'] }).allowHttp,
      false,
    );
    assert.equal(
      resolveEndpoint('registry.example.com:443', { insecureRegistries: ['registry.example.com'] }).allowHttp,
      true,
    );
    assert.equal(resolveEndpoint('r.example.com', { insecureRegistries: ['http://r.example.com/'] }).allowHttp, true);
  });

  test('a hosts override dials its target, which decides about plain HTTP; credentials stay with the name', () => {
    const ecr = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    assert.deepEqual(resolveEndpoint(ecr, { hosts: { [ecr]: '127.0.0.1:5001' } }), {
      name: ecr,
      host: '127.0.0.1:5001',
      allowHttp: true,
    });
    assert.equal(
      resolveEndpoint('localhost:5000', { hosts: { 'localhost:5000': 'mirror.example.com' } }).allowHttp,
      false,
    );
    assert.equal(resolveEndpoint('__proto__', { hosts: {} }).host, '__proto__');
    assert.throws(
      () => resolveEndpoint('a.example', { hosts: { 'a.example': 'b.example/x' } }),
      (e: unknown) => isArchfitError(e, 'INVALID_ARGUMENT'),
    );
    assert.ok(isEcrHost(ecr));
    assert.ok(!isEcrHost('dkr.ecr.eu-west-1.amazonaws.com'));
  });

  test('host syntax is checked before use', () => {
    for (const bad of ['a/b', 'user@host', '[::1', 'host:99999', 'host:0', ':5000', '', 'a b', '::1', 'h:1:2']) {
      assert.throws(
        () => parseHostPort(bad),
        (e: unknown) => isArchfitError(e, 'INVALID_ARGUMENT'),
        bad,
      );
    }
    assert.deepEqual(parseHostPort('[::1]:5000'), { hostname: '::1', port: 5000 });
  });

  test('loopback detection', () => {
    for (const h of [
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
    ]) {
      assert.ok(isLoopbackHostname(h), h);
    }
    for (const h of ['128.0.0.1', '10.0.0.1', '::2', 'localhost.example.com', 'mylocalhost', '::ffff:10.0.0.1']) {
      assert.ok(!isLoopbackHostname(h), h);
    }
  });

  test('repository names are checked before they reach a URL', () => {
    for (const ok of ['a', 'library/ubuntu', 'a-b/c__d/e.f', 'x9/y--z']) assert.equal(checkRepository(ok), ok);
    for (const bad of ['', '../x', 'A', 'a//b', 'a?b', 'a/', '/a', 'a#b', 'a%2fb', '-a']) {
      assert.throws(
        () => checkRepository(bad),
        (e: unknown) => isArchfitError(e, 'INVALID_REFERENCE'),
        bad,
      );
    }
  });
});

// --- URLs and headers ------------------------------------------------------------------------------------------------

describe('Location, Link and numeric headers', () => {
  const policy = { allowHttp: (host: string) => host.startsWith('127.0.0.1') };
  const base = new URL('https://registry.example.com/v2/app/blobs/uploads/');

  test('Location is resolved against the URL that answered, and digest is added with URL APIs', () => {
    const abs = resolveLocation('/v2/app/blobs/uploads/u1?_state=a%3D%3D', base, policy);
    assert.equal(abs.href, 'https://registry.example.com/v2/app/blobs/uploads/u1?_state=a%3D%3D');
    assert.equal(
      resolveLocation('u2?_state=x', base, policy).href,
      'https://registry.example.com/v2/app/blobs/uploads/u2?_state=x',
    );
    const withDigest = withQuery(abs, { digest: 'sha256:ab' });
    assert.equal(withDigest.searchParams.get('_state'), 'a==');
    assert.equal(withDigest.searchParams.get('digest'), 'sha256:ab');
    assert.equal(
      withDigest.href,
      'https://registry.example.com/v2/app/blobs/uploads/u1?_state=a%3D%3D&digest=sha256%3Aab',
    );
    assert.equal(resolveLocation('https://upload.example.net/x', base, policy).host, 'upload.example.net');
  });

  test('hostile Locations are refused', () => {
    for (const bad of [
      'javascript:alert(1)',
      'ftp://registry.example.com/x',
      'https://u:p@registry.example.com/x',
      'http://registry.example.com/x',
      'https://127.0.0.1/internal',
      'http://[::1',
    ]) {
      assert.throws(
        () => resolveLocation(bad, base, policy),
        (e: unknown) => isArchfitError(e, 'REGISTRY_ERROR'),
        bad,
      );
    }
    // a loopback registry may send the client to plain HTTP on itself
    const local = new URL('http://127.0.0.1:5000/v2/');
    assert.equal(resolveLocation('/v2/x', local, policy).href, 'http://127.0.0.1:5000/v2/x');
  });

  test('Link rel="next"', () => {
    assert.equal(nextLink('</v2/app/tags/list?n=2&last=b>; rel="next"'), '/v2/app/tags/list?n=2&last=b');
    assert.equal(nextLink('<https://x/prev>; rel="prev", <https://x/n>; rel=next'), 'https://x/n');
    assert.equal(nextLink(['<https://x/a>; title="a, b"; rel="next"']), 'https://x/a');
    assert.equal(nextLink('<https://x/a>; rel="prev"'), undefined);
    assert.equal(nextLink(undefined), undefined);
    assert.equal(nextLink('garbage'), undefined);
  });

  test('numbers in headers are safe integers or nothing', () => {
    assert.equal(parseSafeInteger('123'), 123);
    assert.equal(parseSafeInteger(' 5 '), 5);
    for (const bad of ['-1', '1e3', '0x10', '99999999999999999', '', '1.5', '12a'])
      assert.equal(parseSafeInteger(bad), undefined, bad);
    assert.deepEqual(parseContentRange('bytes 100-199/200'), { start: 100, end: 199, total: 200 });
    assert.deepEqual(parseContentRange('bytes 0-199/*'), { start: 0, end: 199 });
    for (const bad of ['bytes 100-99/200', 'bytes 0-200/200', 'bytes 0-1/99999999999999999', 'items 0-1/2', '0-1/2']) {
      assert.equal(parseContentRange(bad), undefined, bad);
    }
  });
});

// --- retry arithmetic ------------------------------------------------------------------------------------------------

describe('retry policy', () => {
  test('Retry-After in seconds and as an HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    for (const bad of ['soon', '-1', '1.5', '', 'Thu, 99 Foo 2026'])
      assert.equal(parseRetryAfter(bad, now), undefined, bad);
  });

  test('backoff doubles, is capped, and jitters within half', () => {
    const p = DEFAULT_RETRY_POLICY;
    assert.equal(
      backoffDelay(p, 1, () => 0),
      p.baseDelayMs / 2,
    );
    assert.equal(
      backoffDelay(p, 1, () => 1),
      p.baseDelayMs,
    );
    assert.equal(
      backoffDelay(p, 3, () => 1),
      p.baseDelayMs * 4,
    );
    assert.equal(
      backoffDelay(p, 30, () => 1),
      p.maxDelayMs,
    );
  });

  test('the budget ends on attempts, on total wait, and on a Retry-After over the cap', () => {
    const clock: Clock = { now: () => 0, sleep: async () => {} };
    const b = new RetryBudget({ ...DEFAULT_RETRY_POLICY, maxAttempts: 3 }, clock, () => 0.5);
    assert.notEqual(b.next(), undefined);
    assert.notEqual(b.next(), undefined);
    assert.equal(b.next(), undefined);
    const c = new RetryBudget({ ...DEFAULT_RETRY_POLICY, maxTotalWaitMs: 5000 }, clock, () => 0.5);
    assert.equal(c.next(4000), 4000);
    assert.equal(c.next(2000), undefined);
    const d = new RetryBudget(DEFAULT_RETRY_POLICY, clock, () => 0.5);
    assert.equal(d.next(DEFAULT_RETRY_POLICY.maxRetryAfterMs + 1), undefined);
  });
});

// --- scopes and tokens -------------------------------------------------------------------------------------------------

describe('scopes and tokens', () => {
  test('scopes merge per resource; the ones a request needs go first', () => {
    assert.deepEqual(parseScope('repository:a/b:pull,push'), { resource: 'repository:a/b', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { resource: 'registry:catalog', actions: ['*'] });
    assert.equal(parseScope('nonsense'), undefined);
    const s = new ScopeSet();
    assert.ok(s.add('repository:dst:pull'));
    assert.ok(s.add('repository:src:pull'));
    assert.ok(s.add('repository:dst:push'));
    assert.ok(!s.add('repository:dst:pull'));
    assert.ok(s.has('repository:dst:pull,push'));
    assert.ok(!s.has('repository:src:push'));
    assert.deepEqual(s.list(['repository:src:pull']), ['repository:src:pull', 'repository:dst:pull,push']);
    assert.equal(s.key(), 'repository:dst:pull,push repository:src:pull');
  });

  test('token responses: access_token or token, expires_in defaulting to 60 s, issued_at believed with care', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const parse = (o: unknown) => parseTokenResponse(Buffer.from(JSON.stringify(o)), now, 'test');
    assert.deepEqual(parse({ token: 't1' }), { value: 't1', expiresAt: now + 60_000, obtainedAt: now });
    assert.equal(parse({ token: 't1', access_token: 't2' }).value, 't2');
    assert.equal(parse({ access_token: 't2', expires_in: 300 }).expiresAt, now + 300_000);
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: '2025-12-31T23:59:00Z' }).expiresAt, now + 240_000);
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: '2026-01-01T01:00:00Z' }).expiresAt, now + 300_000);
    assert.equal(parse({ token: 't', expires_in: -5 }).expiresAt, now + 60_000);
    for (const bad of [{}, { token: '' }, { token: 'a\r\nX-Injected: 1' }, { token: 7 }, []]) {
      assert.throws(
        () => parse(bad),
        (e: unknown) => isArchfitError(e, 'REGISTRY_ERROR'),
        JSON.stringify(bad),
      );
    }
    assert.throws(() => parseTokenResponse(Buffer.from('<html>'), now, 'x'), /not JSON/);
    const t = parse({ token: 't', expires_in: 300 });
    assert.ok(tokenIsFresh(t, now + 280_000));
    assert.ok(!tokenIsFresh(t, now + 295_000));
  });
});

// --- error lines ---------------------------------------------------------------------------------------------------

describe('error lines', () => {
  test('method, redacted URL, code and the registry message on one line', () => {
    const e = statusError({
      method: 'GET',
      url: 'https://u:p@127.0.0.1:5000/v2/app/manifests/v9',
      status: 404,
      statusText: 'Not Found',
      body: Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]}'),
      kind: 'manifest',
    });
    assert.equal(e.code, 'MANIFEST_UNKNOWN');
    assert.equal(e.message, 'GET https://127.0.0.1:5000/v2/app/manifests/v9: MANIFEST_UNKNOWN: manifest unknown');
  });

  test('codes from the body, from the status, and for bodies that are not JSON', () => {
    const mk = (status: number, body: string, kind: Parameters<typeof statusError>[0]['kind'] = 'manifest') =>
      statusError({
        method: 'GET',
        url: 'https://r/v2/x',
        status,
        statusText: 'Status',
        body: Buffer.from(body),
        kind,
      });
    assert.equal(
      mk(404, '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}').code,
      'NAME_UNKNOWN',
    );
    assert.equal(mk(404, '', 'blob').code, 'BLOB_UNKNOWN');
    assert.equal(mk(404, '', 'tags').code, 'NAME_UNKNOWN');
    assert.equal(
      mk(401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}').code,
      'UNAUTHORIZED',
    );
    assert.equal(
      mk(403, '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}').code,
      'DENIED',
    );
    assert.equal(
      mk(429, '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}').message,
      'GET https://r/v2/x: TOO_MANY_REQUESTS: TOOMANYREQUESTS: slow down',
    );
    assert.equal(
      mk(400, '{"errors":[{"code":"DIGEST_INVALID","message":"digest did not match"}]}').code,
      'DIGEST_MISMATCH',
    );
    const html = mk(502, '<html><body>Bad gateway\n</body></html>');
    assert.equal(html.code, 'REGISTRY_ERROR');
    assert.equal(html.message, 'GET https://r/v2/x: REGISTRY_ERROR: HTTP 502 Status');
    assert.equal(html.details['retryable'], true);
    const multi = mk(400, '{"errors":[{"code":"X","message":"line1\\nline2"},{"code":"Y","message":"m"}]}');
    assert.equal(multi.message, 'GET https://r/v2/x: REGISTRY_ERROR: X: line1 line2; Y: m');
  });

  test('network and TLS failures', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const e = transportError('GET', 'https://r/v2/', reset);
    assert.equal(e.code, 'NETWORK_ERROR');
    assert.equal(e.details['retryable'], true);
    assert.equal(e.message, 'GET https://r/v2/: NETWORK_ERROR: read ECONNRESET');
    const tls = Object.assign(
      new Error('80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../x.c:1:'),
      {
        code: 'ERR_SSL_WRONG_VERSION_NUMBER',
      },
    );
    assert.equal(
      transportError('GET', 'https://r/v2/', tls).message,
      'GET https://r/v2/: TLS_ERROR: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(transportError('GET', 'https://r/v2/', refused).details['retryable'], false);
  });
});

// --- scripted servers ----------------------------------------------------------------------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

async function scripted(
  handler: Handler,
): Promise<{ host: string; requests: IncomingMessage[]; close(): Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks))).catch(() => res.destroy());
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function fastClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

const manifestBytes = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256('{}'), size: 2 },
    layers: [],
  }),
);
const manifestDigest = sha256(manifestBytes);

function sendManifest(res: ServerResponse, headers: Record<string, string> = {}, body: Buffer = manifestBytes): void {
  res.writeHead(200, {
    'content-type': MediaType.OciManifest,
    'content-length': String(body.length),
    'docker-content-digest': sha256(body),
    ...headers,
  });
  res.end(body);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('an injected dispatcher', () => {
  test('carries every request (MockAgent, no network); User-Agent is archfit/<version>; https only for remote hosts', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get('https://registry.example.com');
    pool.intercept({ path: '/v2/', method: 'GET' }).reply(200, '{}');
    pool
      .intercept({ path: '/v2/app/manifests/v1', method: 'GET', headers: { 'user-agent': `archfit/${VERSION}` } })
      .reply(200, manifestBytes, {
        headers: { 'content-type': MediaType.OciManifest, 'docker-content-digest': manifestDigest },
      });
    const events: string[] = [];
    const client = new RegistryClient({
      dispatcher: agent,
      onRequest: (e) => events.push(`${e.method} ${e.url} ${e.status}`),
    });
    try {
      const got = await client.repository('registry.example.com', 'app').getManifest('v1');
      assert.equal(got.descriptor.digest, manifestDigest);
      assert.deepEqual(events, [
        'GET https://registry.example.com/v2/ 200',
        'GET https://registry.example.com/v2/app/manifests/v1 200',
      ]);
      agent.assertNoPendingInterceptors();
    } finally {
      await client.close();
      await agent.close();
    }
  });

  test('a remote host that fails over HTTPS is not tried over plain HTTP', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://registry.example.com')
      .intercept({ path: '/v2/', method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const events: string[] = [];
    const client = new RegistryClient({ dispatcher: agent, onRequest: (e) => events.push(e.url) });
    try {
      await assert.rejects(client.repository('registry.example.com', 'app').getManifest('v1'), (e: unknown) =>
        isArchfitError(e, 'NETWORK_ERROR'),
      );
      assert.deepEqual(events, ['https://registry.example.com/v2/']);
    } finally {
      await client.close();
      await agent.close();
    }
  });
});

describe('against scripted servers', () => {
  test('Docker-Content-Digest that disagrees with the bytes is an error; one that agrees is fine', async () => {
    let lie = true;
    const srv = await scripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      sendManifest(res, lie ? { 'docker-content-digest': sha256('something else') } : {});
    });
    const client = new RegistryClient({ clock: fastClock() });
    try {
      const repo = client.repository(srv.host, 'app');
      await assert.rejects(repo.getManifest('v1'), (e: unknown) => {
        assert.ok(isArchfitError(e, 'DIGEST_MISMATCH'));
        assert.match(
          e.message,
          /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/app\/manifests\/v1: Docker-Content-Digest says sha256:/,
        );
        return true;
      });
      lie = false;
      const got = await repo.getManifest('v1');
      assert.equal(got.descriptor.digest, manifestDigest);
      assert.equal(got.descriptor.mediaType, MediaType.OciManifest);
      // by digest: the bytes must hash to it
      await assert.rejects(repo.getManifest(sha256('other')), (e: unknown) => isArchfitError(e, 'DIGEST_MISMATCH'));
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('manifests are capped while reading, whatever Content-Length says', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    let mode: 'chunked' | 'declared' | 'expected' = 'chunked';
    const srv = await scripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      if (mode === 'chunked') {
        res.writeHead(200, { 'content-type': MediaType.OciManifest }); // no Content-Length: chunked
        res.write(big);
        return void res.end();
      }
      if (mode === 'declared') {
        res.writeHead(200, { 'content-type': MediaType.OciManifest, 'content-length': String(big.length) });
        return void res.end(big);
      }
      sendManifest(res, {}, Buffer.concat([manifestBytes, Buffer.from('   ')]));
    });
    const client = new RegistryClient({ clock: fastClock() });
    try {
      const repo = client.repository(srv.host, 'app');
      await assert.rejects(repo.getManifest('big'), (e: unknown) => isArchfitError(e, 'SIZE_LIMIT'));
      mode = 'declared';
      await assert.rejects(repo.getManifest('big'), (e: unknown) => isArchfitError(e, 'SIZE_LIMIT'));
      mode = 'expected';
      await assert.rejects(
        repo.getManifest(manifestDigest, {
          expected: { mediaType: MediaType.OciManifest, digest: manifestDigest, size: manifestBytes.length },
        }),
        (e: unknown) => isArchfitError(e, 'SIZE_MISMATCH'),
      );
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('5xx and 429 are retried with backoff and Retry-After (seconds and HTTP-date); the budget ends it', async () => {
    let failures: Array<[number, Record<string, string>]> = [];
    const srv = await scripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      const next = failures.shift();
      if (next) {
        res.writeHead(next[0], { 'content-type': 'application/json', ...next[1] });
        return void res.end(
          next[0] === 429 ? '{"errors":[{"code":"TOOMANYREQUESTS","message":"pull rate limit"}]}' : '',
        );
      }
      sendManifest(res);
    });
    const clock = fastClock();
    const lines: string[] = [];
    const client = new RegistryClient({ clock, random: () => 1, log: (l) => lines.push(l) });
    try {
      const repo = client.repository(srv.host, 'app');
      const date = new Date(Date.now() + 3000).toUTCString();
      failures = [
        [503, {}],
        [429, { 'retry-after': '2' }],
        [429, { 'retry-after': date }],
        [500, {}],
      ];
      await repo.getManifest('v1');
      assert.equal(clock.sleeps.length, 4);
      assert.equal(clock.sleeps[0], 250);
      assert.equal(clock.sleeps[1], 2000);
      assert.ok(clock.sleeps[2]! > 1000 && clock.sleeps[2]! <= 3000, String(clock.sleeps[2]));
      assert.equal(clock.sleeps[3], 2000); // backoff of the 4th retry: 250·2³
      assert.equal(lines.filter((l) => l.startsWith('retry ')).length, 4);

      failures = [[429, { 'retry-after': '3600' }]];
      await assert.rejects(repo.getManifest('v1'), (e: unknown) => {
        assert.ok(isArchfitError(e, 'TOO_MANY_REQUESTS'));
        assert.match(
          e.message,
          /: TOO_MANY_REQUESTS: TOOMANYREQUESTS: pull rate limit \(the registry asks to wait 3600 s\)$/,
        );
        return true;
      });
      failures = Array.from({ length: 10 }, () => [502, {}] as [number, Record<string, string>]);
      clock.sleeps.length = 0;
      await assert.rejects(repo.getManifest('v1'), (e: unknown) => isArchfitError(e, 'REGISTRY_ERROR'));
      assert.equal(clock.sleeps.length, DEFAULT_RETRY_POLICY.maxAttempts - 1);
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('a redirect to another host gets no Authorization; the blob is still verified', async () => {
    const blob = Buffer.from('blob bytes '.repeat(1000));
    const digest = sha256(blob);
    const storage = await scripted((_req, res) => {
      res.writeHead(200, { 'content-length': String(blob.length) });
      res.end(blob);
    });
    const srv = await scripted((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('u:secret-pw').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"', 'content-length': '0' });
        return void res.end();
      }
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(307, {
        location: `http://${storage.host}/blob?X-Amz-Signature=s3cr3t&X-Amz-Credential=c`,
        'content-length': '0',
      });
      res.end();
    });
    const lines: string[] = [];
    const client = new RegistryClient({
      clock: fastClock(),
      log: (l) => lines.push(l),
      credentials: { get: async () => ({ username: 'u', password: 'secret-pw' }) },
    });
    try {
      const repo = client.repository(srv.host, 'app');
      const stream = await repo.openBlob({ mediaType: 'application/octet-stream', digest, size: blob.length });
      assert.deepEqual(await readAll(stream), blob);
      assert.equal(storage.requests.length, 1);
      assert.equal(storage.requests[0]!.headers.authorization, undefined);
      const all = lines.join('\n');
      assert.ok(all.includes('redirected to'));
      assert.ok(!all.includes('s3cr3t'), all);
      assert.ok(!all.includes('secret-pw'), all);
    } finally {
      await client.close();
      await srv.close();
      await storage.close();
    }
  });

  test('a broken blob body resumes with Range; a 206 must start where asked, a 200 restarts; the end is verified', async () => {
    const blob = Buffer.alloc(256 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff;
    const digest = sha256(blob);
    let plan: Array<'reset' | 'ignore-range' | 'bad-range' | 'ok' | 'short'> = [];
    const ranges: Array<string | undefined> = [];
    const srv = await scripted(async (req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      ranges.push(req.headers.range);
      const step = plan.shift() ?? 'ok';
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const from = m && step !== 'ignore-range' ? Number(m[1]) : 0;
      const start = step === 'bad-range' ? from + 1 : from;
      const part = blob.subarray(start);
      res.writeHead(from > 0 ? 206 : 200, {
        'content-length': String(part.length),
        ...(from > 0 ? { 'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}` } : {}),
      });
      if (step === 'reset' || step === 'short') {
        // Less than the rest, always: the client must ask again.
        await new Promise<void>((resolve) => res.write(part.subarray(0, 30_000), () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (step === 'reset') res.socket?.resetAndDestroy();
        else res.socket?.end();
        return;
      }
      res.end(part);
    });
    const clock = fastClock();
    const client = new RegistryClient({ clock });
    const descriptor = { mediaType: 'application/octet-stream', digest, size: blob.length };
    try {
      const repo = client.repository(srv.host, 'app');
      plan = ['reset', 'ok'];
      ranges.length = 0;
      assert.deepEqual(await readAll(await repo.openBlob(descriptor)), blob);
      assert.equal(ranges[0], undefined);
      assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
      assert.ok(Number(/\d+/.exec(ranges[1]!)![0]) > 0);

      plan = ['reset', 'ignore-range'];
      ranges.length = 0;
      assert.deepEqual(await readAll(await repo.openBlob(descriptor)), blob);
      assert.equal(ranges.length, 2);

      plan = ['short', 'short', 'ok'];
      assert.deepEqual(await readAll(await repo.openBlob(descriptor)), blob);

      plan = ['reset', 'bad-range'];
      ranges.length = 0;
      await assert.rejects(readAll(await repo.openBlob(descriptor)), (e: unknown) => {
        assert.ok(isArchfitError(e, 'REGISTRY_ERROR'));
        assert.match(e.message, /Content-Range/);
        return true;
      });

      plan = ['reset', 'reset', 'reset', 'reset', 'reset', 'reset'];
      await assert.rejects(readAll(await repo.openBlob(descriptor)), (e: unknown) =>
        isArchfitError(e, 'NETWORK_ERROR'),
      );
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('blob sizes: Content-Length against the descriptor, and a body longer than announced is cut off', async () => {
    const blob = Buffer.from('x'.repeat(5000));
    let mode: 'length' | 'chunked-long' = 'length';
    const srv = await scripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      if (mode === 'length') {
        res.writeHead(200, { 'content-length': String(blob.length) });
        return void res.end(blob);
      }
      res.writeHead(200, {});
      res.write(blob);
      res.end(blob);
    });
    const client = new RegistryClient({ clock: fastClock() });
    try {
      const repo = client.repository(srv.host, 'app');
      const d = { mediaType: 'application/octet-stream', digest: sha256(blob), size: blob.length - 1 };
      await assert.rejects(repo.openBlob(d), (e: unknown) => isArchfitError(e, 'SIZE_MISMATCH'));
      mode = 'chunked-long';
      await assert.rejects(readAll(await repo.openBlob({ ...d, size: blob.length })), (e: unknown) =>
        isArchfitError(e, 'SIZE_MISMATCH'),
      );
      await assert.rejects(repo.openBlob({ ...d, size: 2 ** 53 }), (e: unknown) =>
        isArchfitError(e, 'INVALID_ARGUMENT'),
      );
      await assert.rejects(repo.openBlob({ ...d, size: -1 }), (e: unknown) => isArchfitError(e, 'INVALID_ARGUMENT'));
      await assert.rejects(repo.openBlob({ ...d, digest: 'sha256:../../etc/passwd' as Digest }), (e: unknown) =>
        isArchfitError(e, 'INVALID_DIGEST'),
      );
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('uploads: Location with a query and a relative path, digest added properly, PUT body verified', async () => {
    const puts: string[] = [];
    const srv = await scripted((req, res, body) => {
      if (req.url === '/v2/') return void res.end('{}');
      if (req.method === 'POST') {
        res.writeHead(202, { location: 'session-1?_state=abc%3D%3D', 'content-length': '0' });
        return void res.end();
      }
      if (req.method === 'PUT') {
        puts.push(`${req.url} ${body.length}`);
        res.writeHead(201, { 'content-length': '0' });
        return void res.end();
      }
      res.writeHead(204);
      res.end();
    });
    const client = new RegistryClient({ clock: fastClock() });
    try {
      const repo = client.repository(srv.host, 'team/app');
      const data = Buffer.from('hello blob');
      await repo.pushBlob({ mediaType: 'x', digest: sha256(data), size: data.length }, async () =>
        Readable.from([data]),
      );
      assert.deepEqual(puts, [
        `/v2/team/app/blobs/uploads/session-1?_state=abc%3D%3D&digest=${encodeURIComponent(sha256(data))} ${data.length}`,
      ]);
      // a source that does not hash to its descriptor fails here, with the client's own error
      await assert.rejects(
        repo.pushBlob({ mediaType: 'x', digest: sha256('other'), size: data.length }, async () =>
          Readable.from([data]),
        ),
        (e: unknown) => isArchfitError(e, 'DIGEST_MISMATCH'),
      );
      const deletes = srv.requests.filter((r) => r.method === 'DELETE');
      assert.equal(deletes.length, 1, 'the failed session is cancelled');
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('a token realm over plain HTTP on a remote host is refused', async () => {
    const srv = await scripted((_req, res) => {
      res.writeHead(401, {
        'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="s"',
        'content-length': '0',
      });
      res.end();
    });
    const client = new RegistryClient({ clock: fastClock() });
    try {
      await assert.rejects(client.repository(srv.host, 'app').getManifest('v1'), (e: unknown) => {
        assert.ok(isArchfitError(e, 'INSECURE_REGISTRY'));
        return true;
      });
    } finally {
      await client.close();
      await srv.close();
    }
  });

  test('an aborted signal stops a request with ABORTED', async () => {
    const srv = await scripted(async (req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      await new Promise((resolve) => setTimeout(resolve, 500));
      sendManifest(res);
    });
    const client = new RegistryClient({ clock: fastClock() });
    try {
      const repo = client.repository(srv.host, 'app');
      await repo.resolve(manifestDigest).catch(() => undefined); // ping first
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(repo.getManifest('v1', { signal: ac.signal }), (e: unknown) => {
        assert.ok(e instanceof ArchfitError);
        assert.equal(e.code, 'ABORTED');
        return true;
      });
    } finally {
      await client.close();
      await srv.close();
    }
  });
});
