// Test vectors were written from the behaviour of distribution/reference (the parser Docker uses:
// ParseNormalizedNamed, FamiliarName, FamiliarString), in our own words. Where we differ on purpose, the row says so.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { ArchfitError, isArchfitError, quote } from '../src/errors.js';
import {
  DEFAULT_TAG,
  familiarString,
  grammar,
  KNOWN_DIGEST_LENGTHS,
  parseReference,
  type Reference,
  tagOrDigest,
  withDigest,
  withTag,
} from '../src/reference/index.js';

const hex = (algorithm: string) => createHash(algorithm).update('archfit').digest('hex');
const SHA256 = `sha256:${hex('sha256')}`;
const SHA384 = `sha384:${hex('sha384')}`;
const SHA512 = `sha512:${hex('sha512')}`;
const ID = hex('sha256'); // 64 lowercase hex digits: what docker calls an image ID

interface Valid {
  input: string;
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  familiar: string; // familiarName
}

const VALID: Valid[] = [
  // Docker Hub: "docker.io" is added, and "library/" for single-component names.
  { input: 'ubuntu', registry: 'docker.io', repository: 'library/ubuntu', familiar: 'ubuntu' },
  { input: 'ubuntu:24.04', registry: 'docker.io', repository: 'library/ubuntu', tag: '24.04', familiar: 'ubuntu' },
  { input: 'library/ubuntu', registry: 'docker.io', repository: 'library/ubuntu', familiar: 'ubuntu' },
  { input: 'docker.io/ubuntu', registry: 'docker.io', repository: 'library/ubuntu', familiar: 'ubuntu' },
  {
    input: 'docker.io/library/ubuntu:latest',
    registry: 'docker.io',
    repository: 'library/ubuntu',
    tag: 'latest',
    familiar: 'ubuntu',
  },
  { input: 'index.docker.io/debian', registry: 'docker.io', repository: 'library/debian', familiar: 'debian' },
  {
    input: 'index.docker.io/docker/docker',
    registry: 'docker.io',
    repository: 'docker/docker',
    familiar: 'docker/docker',
  },
  { input: 'docker/docker', registry: 'docker.io', repository: 'docker/docker', familiar: 'docker/docker' },
  { input: 'other/library', registry: 'docker.io', repository: 'other/library', familiar: 'other/library' },
  // "library/" is only dropped when nothing is nested under it.
  { input: 'library/foo/bar', registry: 'docker.io', repository: 'library/foo/bar', familiar: 'library/foo/bar' },
  { input: 'store/foo/bar', registry: 'docker.io', repository: 'store/foo/bar', familiar: 'store/foo/bar' },
  {
    input: 'library/ubuntu-12.04-base',
    registry: 'docker.io',
    repository: 'library/ubuntu-12.04-base',
    familiar: 'ubuntu-12.04-base',
  },
  // A first component is a registry only when "/" follows it.
  { input: 'test_com', registry: 'docker.io', repository: 'library/test_com', familiar: 'test_com' },
  { input: 'test.com:tag', registry: 'docker.io', repository: 'library/test.com', tag: 'tag', familiar: 'test.com' },
  { input: 'test.com:5000', registry: 'docker.io', repository: 'library/test.com', tag: '5000', familiar: 'test.com' },
  { input: 'localhost', registry: 'docker.io', repository: 'library/localhost', familiar: 'localhost' },
  {
    input: 'localhost:5000',
    registry: 'docker.io',
    repository: 'library/localhost',
    tag: '5000',
    familiar: 'localhost',
  },
  { input: '192.168.1.1', registry: 'docker.io', repository: 'library/192.168.1.1', familiar: '192.168.1.1' },
  {
    input: '192.168.1.1:5000',
    registry: 'docker.io',
    repository: 'library/192.168.1.1',
    tag: '5000',
    familiar: '192.168.1.1',
  },
  {
    input: 'foo_bar.com:8080',
    registry: 'docker.io',
    repository: 'library/foo_bar.com',
    tag: '8080',
    familiar: 'foo_bar.com',
  },
  {
    input: 'foo/foo_bar.com:8080',
    registry: 'docker.io',
    repository: 'foo/foo_bar.com',
    tag: '8080',
    familiar: 'foo/foo_bar.com',
  },
  { input: 'test_com/foo', registry: 'docker.io', repository: 'test_com/foo', familiar: 'test_com/foo' },
  // ...and it has a ".", a ":", is "localhost", or has an uppercase letter.
  { input: 'test.com/repo:tag', registry: 'test.com', repository: 'repo', tag: 'tag', familiar: 'test.com/repo' },
  { input: 'test:5000/repo', registry: 'test:5000', repository: 'repo', familiar: 'test:5000/repo' },
  { input: 'test-com:8080/foo', registry: 'test-com:8080', repository: 'foo', familiar: 'test-com:8080/foo' },
  {
    input: `test:5000/repo@${SHA256}`,
    registry: 'test:5000',
    repository: 'repo',
    digest: SHA256,
    familiar: 'test:5000/repo',
  },
  // Both a tag and a digest are kept (Docker's ParseDockerRef would drop the tag).
  {
    input: `test:5000/repo:tag@${SHA256}`,
    registry: 'test:5000',
    repository: 'repo',
    tag: 'tag',
    digest: SHA256,
    familiar: 'test:5000/repo',
  },
  {
    input: `busybox:latest@${SHA256}`,
    registry: 'docker.io',
    repository: 'library/busybox',
    tag: 'latest',
    digest: SHA256,
    familiar: 'busybox',
  },
  { input: 'localhost/foo', registry: 'localhost', repository: 'foo', familiar: 'localhost/foo' },
  { input: 'localhost:5000/x', registry: 'localhost:5000', repository: 'x', familiar: 'localhost:5000/x' },
  { input: '192.168.1.1/repo', registry: '192.168.1.1', repository: 'repo', familiar: '192.168.1.1/repo' },
  {
    input: '192.168.1.1:5000/repo:5050',
    registry: '192.168.1.1:5000',
    repository: 'repo',
    tag: '5050',
    familiar: '192.168.1.1:5000/repo',
  },
  // Other registries keep "library/" and have no short form.
  {
    input: '127.0.0.1:5000/library/debian',
    registry: '127.0.0.1:5000',
    repository: 'library/debian',
    familiar: '127.0.0.1:5000/library/debian',
  },
  {
    input: 'gcr.io/library/busybox',
    registry: 'gcr.io',
    repository: 'library/busybox',
    familiar: 'gcr.io/library/busybox',
  },
  {
    input: 'registry-1.docker.io/library/ubuntu',
    registry: 'registry-1.docker.io',
    repository: 'library/ubuntu',
    familiar: 'registry-1.docker.io/library/ubuntu',
  },
  // Uppercase first components are registries (repositories are lowercase); hosts are not case-folded.
  { input: 'Foo/bar', registry: 'Foo', repository: 'bar', familiar: 'Foo/bar' },
  { input: 'FOO/bar', registry: 'FOO', repository: 'bar', familiar: 'FOO/bar' },
  { input: 'Docker.io/foo', registry: 'Docker.io', repository: 'foo', familiar: 'Docker.io/foo' },
  {
    input: 'Uppercase/lowercase:tag',
    registry: 'Uppercase',
    repository: 'lowercase',
    tag: 'tag',
    familiar: 'Uppercase/lowercase',
  },
  {
    input: 'lowercase:Uppercase',
    registry: 'docker.io',
    repository: 'library/lowercase',
    tag: 'Uppercase',
    familiar: 'lowercase',
  },
  {
    input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    registry: 'sub-dom1.foo.com',
    repository: 'bar/baz/quux',
    tag: 'some-long-tag',
    familiar: 'sub-dom1.foo.com/bar/baz/quux',
  },
  {
    input: 'b.gcr.io/test.example.com/my-app:test.example.com',
    registry: 'b.gcr.io',
    repository: 'test.example.com/my-app',
    tag: 'test.example.com',
    familiar: 'b.gcr.io/test.example.com/my-app',
  },
  {
    input: 'xn--n3h.com:18080/myimage:xn--n3h.com',
    registry: 'xn--n3h.com:18080',
    repository: 'myimage',
    tag: 'xn--n3h.com',
    familiar: 'xn--n3h.com:18080/myimage',
  },
  // IPv6 hosts in brackets, with or without a port.
  { input: '[2001:db8::1]/repo', registry: '[2001:db8::1]', repository: 'repo', familiar: '[2001:db8::1]/repo' },
  {
    input: '[2001:db8:1:2:3:4:5:6]/repo:tag',
    registry: '[2001:db8:1:2:3:4:5:6]',
    repository: 'repo',
    tag: 'tag',
    familiar: '[2001:db8:1:2:3:4:5:6]/repo',
  },
  {
    input: `[2001:db8::1]:5000/repo:tag@${SHA256}`,
    registry: '[2001:db8::1]:5000',
    repository: 'repo',
    tag: 'tag',
    digest: SHA256,
    familiar: '[2001:db8::1]:5000/repo',
  },
  { input: '[::1]:5000/foo', registry: '[::1]:5000', repository: 'foo', familiar: '[::1]:5000/foo' },
  {
    input: '[fc00::1]:5000/docker/docker',
    registry: '[fc00::1]:5000',
    repository: 'docker/docker',
    familiar: '[fc00::1]:5000/docker/docker',
  },
  // Path component separators: one ".", one or two "_", any run of "-"; single characters are fine.
  {
    input: 'docker---rules/docker',
    registry: 'docker.io',
    repository: 'docker---rules/docker',
    familiar: 'docker---rules/docker',
  },
  { input: 'dock__er/docker', registry: 'docker.io', repository: 'dock__er/docker', familiar: 'dock__er/docker' },
  { input: 'd/docker', registry: 'docker.io', repository: 'd/docker', familiar: 'd/docker' },
  { input: 'jess/t', registry: 'docker.io', repository: 'jess/t', familiar: 'jess/t' },
  // Only a bare 64-hex string is an image ID; anything more makes it a name. Deliberate difference: Docker prints the
  // familiar name as the bare ID, which would not parse back, so "library/" stays.
  {
    input: `${ID}:latest`,
    registry: 'docker.io',
    repository: `library/${ID}`,
    tag: 'latest',
    familiar: `library/${ID}`,
  },
  { input: ID.slice(1), registry: 'docker.io', repository: `library/${ID.slice(1)}`, familiar: ID.slice(1) },
  { input: 'x'.repeat(64), registry: 'docker.io', repository: `library/${'x'.repeat(64)}`, familiar: 'x'.repeat(64) },
  { input: `docker.io/${ID}`, registry: 'docker.io', repository: `library/${ID}`, familiar: `library/${ID}` },
  // Deliberate difference: Docker prints "localhost/x" and "foo.bar/x", which would read back as other registries.
  {
    input: 'docker.io/localhost/x',
    registry: 'docker.io',
    repository: 'localhost/x',
    familiar: 'docker.io/localhost/x',
  },
  { input: 'docker.io/foo.bar/x', registry: 'docker.io', repository: 'foo.bar/x', familiar: 'docker.io/foo.bar/x' },
  // A digest without its "@" is read as name and tag, exactly as Docker does.
  { input: SHA256, registry: 'docker.io', repository: 'library/sha256', tag: ID, familiar: 'sha256' },
  // The path limit is 255 characters, counted after "library/" is added.
  {
    input: `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
    registry: 'docker.io',
    repository: `${'a/'.repeat(127)}a`,
    tag: 'tag-puts-this-over-max',
    familiar: `${'a/'.repeat(127)}a`,
  },
  {
    input: 'b'.repeat(247),
    registry: 'docker.io',
    repository: `library/${'b'.repeat(247)}`,
    familiar: 'b'.repeat(247),
  },
  // Tags: word characters, ".", "-"; not starting with "." or "-"; at most 128.
  {
    input: `t:${'T'.repeat(128)}`,
    registry: 'docker.io',
    repository: 'library/t',
    tag: 'T'.repeat(128),
    familiar: 't',
  },
  { input: 't:_x.y-Z', registry: 'docker.io', repository: 'library/t', tag: '_x.y-Z', familiar: 't' },
  // Digests: sha256/384/512 have fixed lengths; other algorithms need 32 or more hex digits of either case.
  { input: `e.com/foo@${SHA384}`, registry: 'e.com', repository: 'foo', digest: SHA384, familiar: 'e.com/foo' },
  {
    input: `xn--7o8h.com/myimage:xn--7o8h.com@${SHA512}`,
    registry: 'xn--7o8h.com',
    repository: 'myimage',
    tag: 'xn--7o8h.com',
    digest: SHA512,
    familiar: 'xn--7o8h.com/myimage',
  },
  {
    input: `foo@md5:${'0aF'.repeat(11)}`,
    registry: 'docker.io',
    repository: 'library/foo',
    digest: `md5:${'0aF'.repeat(11)}`,
    familiar: 'foo',
  },
  {
    input: `foo@multihash+base58.v1-x_y:${ID}`,
    registry: 'docker.io',
    repository: 'library/foo',
    digest: `multihash+base58.v1-x_y:${ID}`,
    familiar: 'foo',
  },
  {
    input: `foo@SHA256:${ID.toUpperCase()}`,
    registry: 'docker.io',
    repository: 'library/foo',
    digest: `SHA256:${ID.toUpperCase()}`,
    familiar: 'foo',
  },
];

/** [input, a phrase the message must contain after `invalid reference "<input>": `] */
const INVALID: [string, string][] = [
  ['', 'it is empty'],
  [ID, 'a 64-digit hex string is an image ID, not a repository name'],
  // Uppercase in the repository path.
  ['Ubuntu', 'repository name must be lowercase'],
  ['Uppercase:tag', 'repository name must be lowercase'],
  ['docker/Docker', 'repository name must be lowercase'],
  ['docker.io/docker/Docker', 'repository name must be lowercase'],
  ['test:5000/Uppercase/lowercase:tag', 'repository name must be lowercase'],
  // Path components.
  ['-docker', 'repository path component "-docker" must start and end with a lowercase letter or digit'],
  ['-docker/docker', 'component "-docker" must start and end'],
  ['docker-/docker', 'component "docker-" must start and end'],
  ['____/____', 'component "____" must start and end'],
  ['_docker/_docker', 'component "_docker" must start and end'],
  ['foo/dock___er', 'component "dock___er" has an invalid separator'],
  ['foo/dock..er', 'component "dock..er" has an invalid separator'],
  ['foo/dock_.er', 'component "dock_.er" has an invalid separator'],
  ['foo/dock-.er', 'component "dock-.er" has an invalid separator'],
  ['docker///docker', 'repository path "docker///docker" has an empty component'],
  ['docker/', 'repository path "docker/" has an empty component'],
  ['/docker', 'repository path "/docker" has an empty component'],
  ['aa/asdf$$^/aa', 'component "asdf$$^" contains "$"'],
  [' ubuntu', 'component " ubuntu" contains " "'],
  ['ubuntu\n', 'contains "\\n"'],
  ['ubuntü', 'contains "ü"'],
  // Missing name.
  [':justtag', 'repository name is missing'],
  [`@${SHA256}`, 'repository name is missing'],
  ['docker.io/', 'repository name is missing after registry "docker.io"'],
  ['localhost:5000/:tag', 'repository name is missing after registry "localhost:5000"'],
  // Length: 255 characters at most, "library/" included.
  [`${'a/'.repeat(128)}a:tag`, 'repository path is 257 characters long; the limit is 255'],
  ['b'.repeat(248), 'repository path is 256 characters long; the limit is 255'],
  [
    `${'this_is_not_a_valid_namespace_because_its_length_is_greater_than_255_'.repeat(4)}x/docker`,
    'repository path is 284 characters long',
  ],
  // Registries.
  ['https://github.com/docker/docker', 'a reference has no URL scheme; drop "https://"'],
  ['a_b.c/foo', 'registry "a_b.c" has a host name "a_b.c" containing "_"'], // Docker accepts this with no domain at all
  ['dock..er/docker', 'registry "dock..er" has an empty dot-separated part'],
  ['-docker.io/docker/docker', 'registry "-docker.io" has an invalid host name "-docker.io"'],
  ['localhost:port/x', 'registry "localhost:port" has an invalid port "port"'],
  ['fc00::1:5000/debian', 'registry "fc00::1:5000" has an invalid port ":1:5000"'],
  [':5000/x', 'registry ":5000" has an empty host name'],
  ['[2001:db8::1]', 'a bracketed IPv6 registry needs a repository after it'],
  ['[2001:db8::1]:5000', 'a bracketed IPv6 registry needs a repository after it'],
  ['[2001:db8::1]:tag', 'a bracketed IPv6 registry needs a repository after it'],
  ['[fe80::1%eth0]:5000/repo', 'registry "[fe80::1%eth0]:5000" has an invalid IPv6 address "[fe80::1%eth0]"'],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'has an invalid IPv6 address "[2001:db8:3:4::192.0.2.33]"'],
  ['[::1/foo', 'registry "[::1" has "[" without a closing "]"'],
  ['[::1]x/foo', 'registry "[::1]x" has "x" after the IPv6 address'],
  ['[::1]:/foo', 'registry "[::1]:" has an invalid port ""'],
  // Tags.
  ['repo:', 'tag "" is empty'],
  ['repo:-x', 'tag "-x" must start with a letter, digit or "_"'],
  ['repo:.x', 'tag ".x" must start with a letter, digit or "_"'],
  [`repo:${'a'.repeat(129)}`, 'is 129 characters long; the limit is 128'],
  ['repo:a:b', 'tag "a:b" contains ":"'],
  ['repo:t$g', 'tag "t$g" contains "$"'],
  // Digests.
  ['repo@', 'digest "" is empty'],
  ['repo@sha256', 'digest "sha256" must be "algorithm:hex"'],
  [`repo@sha256:${'f'.repeat(34)}`, 'has 34 hex digits; sha256 needs exactly 64'],
  [`repo@sha256:${ID.toUpperCase()}`, 'a sha256 digest is lowercase hex (0-9, a-f)'],
  [`repo@sha384:${ID}`, 'has 64 hex digits; sha384 needs exactly 96'],
  [`repo@sha512:${ID}`, 'has 64 hex digits; sha512 needs exactly 128'],
  [`repo@md5:${'f'.repeat(31)}`, 'has 31 hex digits; at least 32 are needed'],
  [`repo@md5:${'g'.repeat(32)}`, 'contains "g", which is not a hex digit'],
  [`repo@1bad:${ID}`, 'has an invalid algorithm "1bad"'],
  [`repo@sha+:${ID}`, 'has an invalid algorithm "sha+"'],
  [`repo@${SHA256}@x`, 'contains "@"'],
  [`repo:tag@${SHA256.slice(0, -1)}`, 'has 63 hex digits; sha256 needs exactly 64'],
];

// Every assert.ok here carries a message: without one, a failing assert.ok makes Node re-read and re-parse the
// compiled source to quote the expression, which can hang on transpiled test files instead of failing.

function fields(ref: Reference) {
  return {
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag,
    digest: ref.digest,
    name: ref.name,
    familiarName: ref.familiarName,
    string: String(ref),
    familiarString: familiarString(ref),
  };
}

function suffixes(tag: string | undefined, digest: string | undefined): string {
  return (tag === undefined ? '' : `:${tag}`) + (digest === undefined ? '' : `@${digest}`);
}

function expectInvalid(fn: () => unknown, quoted: string, phrase: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ArchfitError, `expected ArchfitError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_REFERENCE');
    assert.ok(e.message.includes(quoted), `message ${JSON.stringify(e.message)} should quote ${quoted}`);
    assert.ok(e.message.includes(phrase), `message ${JSON.stringify(e.message)} should say ${JSON.stringify(phrase)}`);
    return true;
  });
}

test('the required examples hold exactly', () => {
  assert.equal(parseReference('ubuntu').name, 'docker.io/library/ubuntu');
  assert.equal(parseReference('ubuntu').familiarName, 'ubuntu');
  assert.throws(() => parseReference('Ubuntu'), {
    name: 'ArchfitError',
    code: 'INVALID_REFERENCE',
    message: 'invalid reference "Ubuntu": repository name must be lowercase',
  });
});

test('reference table: valid inputs', async (t) => {
  for (const row of VALID) {
    await t.test(row.input.length > 80 ? `${row.input.slice(0, 80)}…` : row.input, () => {
      const ref = parseReference(row.input);
      const name = `${row.registry}/${row.repository}`;
      assert.deepEqual(fields(ref), {
        registry: row.registry,
        repository: row.repository,
        tag: row.tag,
        digest: row.digest,
        name,
        familiarName: row.familiar,
        string: name + suffixes(row.tag, row.digest),
        familiarString: row.familiar + suffixes(row.tag, row.digest),
      });
      // The canonical form matches the documented grammar, with the same three parts.
      const m = grammar.reference.exec(String(ref));
      assert.ok(m, `grammar.reference should match ${String(ref)}`);
      assert.deepEqual([m[1], m[2], m[3]], [name, row.tag, row.digest]);
      // Both printed forms read back as the same reference.
      assert.deepEqual(parseReference(String(ref)), ref);
      assert.deepEqual(parseReference(familiarString(ref)), ref);
    });
  }
});

test('reference table: invalid inputs throw INVALID_REFERENCE quoting the input', async (t) => {
  for (const [input, phrase] of INVALID) {
    await t.test(JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input), () => {
      assert.throws(
        () => parseReference(input),
        (e: unknown) => {
          assert.ok(isArchfitError(e, 'INVALID_REFERENCE'), `expected INVALID_REFERENCE, got ${String(e)}`);
          const prefix = `invalid reference ${quote(input)}: `;
          assert.ok(e.message.startsWith(prefix), `${JSON.stringify(e.message)} should start with ${prefix}`);
          assert.ok(
            e.message.slice(prefix.length).includes(phrase),
            `${JSON.stringify(e.message)} should say ${phrase}`,
          );
          assert.ok(!e.message.includes('\n'), 'the message is one line');
          assert.equal(e.details['input'], input);
          return true;
        },
      );
    });
  }
});

test('a non-string input is rejected with INVALID_REFERENCE', () => {
  for (const input of [undefined, null, 42, {}, Object.create(null)]) {
    assert.throws(() => parseReference(input as unknown as string), { code: 'INVALID_REFERENCE' });
  }
});

test('references are frozen and withTag/withDigest return new ones', () => {
  const ref = parseReference('ubuntu');
  assert.equal(Object.isFrozen(ref), true, 'a parsed reference is frozen');
  assert.throws(() => {
    (ref as { tag: string | undefined }).tag = 'x';
  }, TypeError);
  assert.equal(ref.tag, undefined);

  const tagged = withTag(ref, '24.04');
  assert.notEqual(tagged, ref);
  assert.equal(Object.isFrozen(tagged), true, 'withTag returns a frozen reference');
  assert.equal(String(tagged), 'docker.io/library/ubuntu:24.04');
  assert.equal(String(ref), 'docker.io/library/ubuntu');

  const pinned = withDigest(tagged, SHA256);
  assert.equal(String(pinned), `docker.io/library/ubuntu:24.04@${SHA256}`);
  assert.equal(familiarString(pinned), `ubuntu:24.04@${SHA256}`);
  assert.deepEqual(pinned, parseReference(`ubuntu:24.04@${SHA256}`));
  // Setting a tag keeps the digest, and replaces the old tag.
  assert.equal(String(withTag(pinned, 'noble')), `docker.io/library/ubuntu:noble@${SHA256}`);
  assert.equal(String(withDigest(pinned, SHA512)), `docker.io/library/ubuntu:24.04@${SHA512}`);
});

test('withTag and withDigest validate their input', () => {
  const ref = parseReference('localhost:5000/app');
  for (const [tag, phrase] of [
    ['-bad', 'must start with a letter, digit or "_"'],
    ['', 'is empty'],
    ['a/b', 'contains "/"'],
    ['x'.repeat(129), 'the limit is 128'],
  ] as const) {
    expectInvalid(() => withTag(ref, tag), quote(tag), phrase);
  }
  for (const [digest, phrase] of [
    ['sha256:abc', 'sha256 needs exactly 64'],
    ['foo', 'must be "algorithm:hex"'],
    [ID, 'must be "algorithm:hex"'],
  ] as const) {
    expectInvalid(() => withDigest(ref, digest), quote(digest), phrase);
  }
  expectInvalid(() => withTag(ref, 5 as unknown as string), '5', 'is not a string');
});

test('tagOrDigest: the digest wins, then the tag, then "latest"', () => {
  assert.equal(DEFAULT_TAG, 'latest');
  assert.equal(tagOrDigest(parseReference('ubuntu')), 'latest');
  assert.equal(tagOrDigest(parseReference('ubuntu:24.04')), '24.04');
  assert.equal(tagOrDigest(parseReference(`ubuntu:24.04@${SHA256}`)), SHA256);
  assert.equal(tagOrDigest(parseReference(`ubuntu@${SHA256}`)), SHA256);
});

test('the grammar regexes accept and reject what the grammar says', () => {
  const cases: [RegExp, string, boolean][] = [
    [grammar.tag, '_x', true],
    [grammar.tag, '-x', false],
    [grammar.tag, 'x'.repeat(128), true],
    [grammar.tag, 'x'.repeat(129), false],
    [grammar.pathComponent, 'a__b', true],
    [grammar.pathComponent, 'a___b', false],
    [grammar.pathComponent, 'a--b', true],
    [grammar.domain, '[::1]:5000', true],
    [grammar.domain, '[fe80::1%eth0]', false],
    [grammar.domain, 'Example.COM:443', true],
    [grammar.digest, SHA256, true],
    [grammar.digest, `sha256:${'f'.repeat(31)}`, false],
    [grammar.identifier, ID, true],
    [grammar.identifier, ID.toUpperCase(), false],
    [grammar.name, 'localhost:5000/a/b', true],
    [grammar.name, 'a//b', false],
    [grammar.reference, `a.io/b:c@${SHA256}`, true],
    [grammar.reference, 'a.io/b@c', false],
  ];
  for (const [regexp, text, expected] of cases) {
    assert.equal(regexp.test(text), expected, `${regexp} on ${JSON.stringify(text)}`);
  }
  assert.equal(KNOWN_DIGEST_LENGTHS['sha512'], 128);
});

// Property tests. ------------------------------------------------------------------------------------------------

const referenceChars = fc.constantFrom(...'ab09AZ.-_:/@[]%'.split(''), 'f', 'library', 'localhost', 'sha256:');
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: referenceChars, maxLength: 30 }),
  fc.stringMatching(grammar.reference),
);

test('property: parsing any string returns a Reference or throws INVALID_REFERENCE quoting it', () => {
  let parsed = 0;
  fc.assert(
    fc.property(anyString, (input) => {
      let ref: Reference;
      try {
        ref = parseReference(input);
      } catch (e) {
        assert.ok(isArchfitError(e, 'INVALID_REFERENCE'), `unexpected ${String(e)}`);
        assert.ok(e.message.startsWith(`invalid reference ${quote(input)}: `), e.message);
        return;
      }
      parsed++;
      // Whatever parses round-trips through both printed forms and matches the grammar.
      assert.deepEqual(parseReference(String(ref)), ref);
      assert.deepEqual(parseReference(familiarString(ref)), ref);
      assert.ok(grammar.reference.test(String(ref)), `grammar.reference should match ${String(ref)}`);
    }),
    { numRuns: 2000 },
  );
  // Not vacuous: a good share of the inputs were valid references.
  assert.ok(parsed > 200, `only ${parsed} inputs parsed`);
});

const looksLikeRegistry = (s: string) => s === 'localhost' || /[.:A-Z]/.test(s);
const hexOf = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: n, maxLength: n });

const parts = fc.record({
  registry: fc.option(
    fc.oneof(
      fc.constantFrom('docker.io', 'index.docker.io', 'localhost', 'localhost:5000', 'Foo', '[::1]:5000', 'ghcr.io'),
      // Any host the grammar allows, made to look like a registry by giving it a port when it needs one.
      fc.stringMatching(grammar.domain).map((d) => (looksLikeRegistry(d) ? d : `${d}:5000`)),
    ),
    { nil: undefined },
  ),
  components: fc.array(fc.stringMatching(grammar.pathComponent), { minLength: 1, maxLength: 4 }),
  tag: fc.option(fc.stringMatching(grammar.tag), { nil: undefined }),
  digest: fc.option(
    fc.oneof(
      hexOf(64).map((h) => `sha256:${h}`),
      hexOf(96).map((h) => `sha384:${h}`),
      hexOf(128).map((h) => `sha512:${h}`),
      fc.stringMatching(grammar.digest).filter((d) => !(d.slice(0, d.indexOf(':')) in KNOWN_DIGEST_LENGTHS)),
    ),
    { nil: undefined },
  ),
});

test('property: references built from the grammar parse to the normalised parts and round-trip', () => {
  fc.assert(
    fc.property(parts, ({ registry, components, tag, digest }) => {
      // Without a registry, a first component that looks like one would be read as one: keep it a path.
      const first = components[0] ?? '';
      if (registry === undefined && components.length > 1 && looksLikeRegistry(first)) {
        components = [`${first.replaceAll('.', '-')}x`, ...components.slice(1)];
      }
      const path = components.join('/');
      const input = (registry === undefined ? '' : `${registry}/`) + path + suffixes(tag, digest);
      const expectedRegistry = registry === undefined || registry === 'index.docker.io' ? 'docker.io' : registry;
      const expectedRepository = expectedRegistry === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
      fc.pre(expectedRepository.length <= 255 && !grammar.identifier.test(input));

      const ref = parseReference(input);
      assert.deepEqual(
        { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest },
        { registry: expectedRegistry, repository: expectedRepository, tag, digest },
      );
      assert.equal(String(ref), `${expectedRegistry}/${expectedRepository}${suffixes(tag, digest)}`);
      assert.deepEqual(parseReference(String(ref)), ref);
      assert.deepEqual(parseReference(familiarString(ref)), ref);
    }),
    { numRuns: 1000 },
  );
});
