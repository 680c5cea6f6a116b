import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { digestOf, isDigest, parseDigest, shortDigest, VerifyingStream, verifyBytes } from '../src/digest/index.js';
import { isArchfitError } from '../src/errors.js';
import { attestedDigest, isAttestation, MediaType, parseConfig, parseManifest } from '../src/image/index.js';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const D = (c: string) => `sha256:${c.repeat(64)}`;

test('digests: validation with anchored grammar per algorithm', () => {
  assert.ok(isDigest(D('a')));
  assert.ok(isDigest(`sha512:${'0'.repeat(128)}`));
  assert.ok(isDigest(`sha384:${'f'.repeat(96)}`));
  for (const bad of [
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}`,
    `sha256:${'a'.repeat(65)}`,
    `sha512:${'a'.repeat(64)}`,
    'sha256:../../etc/passwd',
    `sha256:${'a'.repeat(60)}?x=1`,
    `md5:${'a'.repeat(32)}`,
    '',
    42,
  ]) {
    assert.equal(isDigest(bad), false, String(bad));
    assert.throws(
      () => parseDigest(bad),
      (e: unknown) => isArchfitError(e, 'INVALID_DIGEST'),
    );
  }
  assert.equal(shortDigest(D('b')), 'sha256:bbbbbbbbbbbb');
  assert.equal(digestOf(enc('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

async function drain(data: Buffer, expected: ConstructorParameters<typeof VerifyingStream>[0]): Promise<unknown> {
  try {
    await pipeline(Readable.from([data.subarray(0, 3), data.subarray(3)]), new VerifyingStream(expected), async (s) => {
      for await (const _ of s) {
        // consume
      }
    });
    return undefined;
  } catch (e) {
    return e;
  }
}

test('VerifyingStream: passes the right bytes, fails on digest or size mismatch', async () => {
  const data = Buffer.from('hello world');
  const digest = digestOf(data);
  assert.equal(await drain(data, { digest, size: data.length }), undefined);
  const flipped = Buffer.from(data);
  flipped[0] = 0x48;
  assert.ok(isArchfitError(await drain(flipped, { digest, size: data.length }), 'DIGEST_MISMATCH'));
  assert.ok(isArchfitError(await drain(data, { digest, size: data.length - 1 }), 'SIZE_MISMATCH'));
  assert.ok(isArchfitError(await drain(data, { digest, size: data.length + 5 }), 'SIZE_MISMATCH'));
  assert.throws(
    () => verifyBytes(flipped, digest, 'test'),
    (e: unknown) => isArchfitError(e, 'DIGEST_MISMATCH'),
  );
});

const desc = (over: Record<string, unknown> = {}) => ({
  mediaType: MediaType.OciManifest,
  digest: D('1'),
  size: 10,
  ...over,
});

test('parseManifest: index, image, media type from body, header or shape', () => {
  const index = parseManifest(
    enc({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        desc({ platform: { os: 'linux', architecture: 'amd64' } }),
        desc({
          digest: D('2'),
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': D('1') },
        }),
      ],
    }),
  );
  assert.equal(index.kind, 'index');
  assert.ok(index.kind === 'index' && index.index.manifests.length === 2);
  if (index.kind === 'index') {
    const [img, att] = index.index.manifests;
    assert.ok(img && att);
    assert.equal(isAttestation(img), false);
    assert.equal(isAttestation(att), true);
    assert.equal(attestedDigest(att), D('1'));
  }
  const image = parseManifest(
    enc({ schemaVersion: 2, config: desc({ mediaType: MediaType.DockerConfig }), layers: [desc()] }),
    { contentType: `${MediaType.DockerManifest}; charset=utf-8` },
  );
  assert.equal(image.kind, 'image');
  assert.equal(image.mediaType, MediaType.DockerManifest);
  const shaped = parseManifest(enc({ schemaVersion: 2, manifests: [] }));
  assert.equal(shaped.mediaType, MediaType.OciIndex);
});

test('parseManifest: refuses hostile or ambiguous documents with stable codes', () => {
  const cases: Array<[string, unknown, string, { contentType?: string }?]> = [
    ['not json', '{', 'MANIFEST_INVALID'],
    ['array', [], 'MANIFEST_INVALID'],
    ['schema 1', { schemaVersion: 1, fsLayers: [] }, 'UNSUPPORTED_MEDIA_TYPE'],
    ['ambiguous', { schemaVersion: 2, manifests: [], layers: [], config: desc() }, 'MANIFEST_INVALID'],
    ['case variant', { schemaVersion: 2, Layers: [], config: desc(), layers: [] }, 'MANIFEST_INVALID'],
    ['bad digest', { schemaVersion: 2, manifests: [desc({ digest: 'sha256:../../x' })] }, 'MANIFEST_INVALID'],
    ['size 2^60', { schemaVersion: 2, config: desc({ size: 2 ** 60 }), layers: [] }, 'MANIFEST_INVALID'],
    ['negative size', { schemaVersion: 2, config: desc(), layers: [desc({ size: -1 })] }, 'MANIFEST_INVALID'],
    ['fraction size', { schemaVersion: 2, config: desc(), layers: [desc({ size: 1.5 })] }, 'MANIFEST_INVALID'],
    ['too many entries', { schemaVersion: 2, manifests: Array.from({ length: 5000 }, () => desc()) }, 'SIZE_LIMIT'],
    [
      'header disagrees',
      { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] },
      'MANIFEST_INVALID',
      { contentType: MediaType.DockerManifest },
    ],
    ['unknown type', { schemaVersion: 2, mediaType: 'application/x-foo', manifests: [] }, 'UNSUPPORTED_MEDIA_TYPE'],
  ];
  for (const [name, doc, code, opts] of cases) {
    assert.throws(
      () => parseManifest(enc(doc), opts),
      (e: unknown) => isArchfitError(e) && e.code === code,
      name,
    );
  }
  const big = new Uint8Array(4 * 1024 * 1024 + 1);
  assert.throws(
    () => parseManifest(big),
    (e: unknown) => isArchfitError(e, 'SIZE_LIMIT'),
  );
});

test('parseConfig: reads the fields archfit uses and rejects wrong shapes', () => {
  const c = parseConfig(
    enc({
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      config: { Entrypoint: ['/bin/sh'], Cmd: null, Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [D('3')] },
    }),
  );
  assert.equal(c.architecture, 'arm64');
  assert.deepEqual(c.config?.Entrypoint, ['/bin/sh']);
  assert.deepEqual(parseConfig(enc({ architecture: 'amd64', os: 'linux' })).rootfs.diff_ids, []);
  assert.throws(
    () => parseConfig(enc({ os: 'linux' })),
    (e: unknown) => isArchfitError(e, 'MANIFEST_INVALID'),
  );
  assert.throws(
    () => parseConfig(enc({ architecture: 'amd64', os: 'linux', config: { Entrypoint: 'sh' } })),
    (e: unknown) => isArchfitError(e, 'MANIFEST_INVALID'),
  );
});
