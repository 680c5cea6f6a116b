// Builds the demo's images as OCI layouts, with archfit's own library: an "upstream" multi-platform image shaped
// like grafana/grafana (linux/amd64, linux/arm64/v8, linux/arm/v7 and buildx provenance attestations), and an image
// labelled linux/amd64 whose program is an arm64 binary. The programs are real ELF headers for each architecture:
// enough for archfit to tell what they are, nothing that runs.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { MediaType, openLayout } from 'archfit';

const FIXED_TIME = new Date('2025-01-06T00:00:00Z');

/** A minimal static executable header: ELF header + one PT_LOAD program header. */
function elf({ bits, machine }) {
  const is64 = bits === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const b = Buffer.alloc(ehsize + phentsize + 64);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = is64 ? 2 : 1; // class
  b[5] = 1; // little-endian
  b[6] = 1; // version
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  b.writeUInt32LE(1, 20);
  if (is64) {
    b.writeBigUInt64LE(0x400000n, 24); // entry
    b.writeBigUInt64LE(64n, 32); // phoff
    b.writeUInt16LE(ehsize, 52);
    b.writeUInt16LE(phentsize, 54);
    b.writeUInt16LE(1, 56); // phnum
    b.writeUInt32LE(1, 64); // PT_LOAD
  } else {
    b.writeUInt32LE(0x10000, 24);
    b.writeUInt32LE(52, 28);
    b.writeUInt16LE(ehsize, 40);
    b.writeUInt16LE(phentsize, 42);
    b.writeUInt16LE(1, 44);
    b.writeUInt32LE(1, 52);
  }
  return b;
}

const BINARIES = {
  amd64: elf({ bits: 64, machine: 62 }),
  arm64: elf({ bits: 64, machine: 183 }),
  arm: elf({ bits: 32, machine: 40 }),
};

/** A ustar archive of regular files and directories (what a layer is). */
function tar(entries) {
  const blocks = [];
  const header = (name, size, mode, type) => {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    h.write(
      `${Math.floor(FIXED_TIME.getTime() / 1000)
        .toString(8)
        .padStart(11, '0')}\0`,
      136,
    );
    h.write('        ', 148);
    h.write(type, 156);
    h.write('ustar\x0000', 257, 'latin1');
    let sum = 0;
    for (const byte of h) sum += byte;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    return h;
  };
  for (const e of entries) {
    if (e.dir) {
      blocks.push(header(e.path.endsWith('/') ? e.path : `${e.path}/`, 0, 0o755, '5'));
      continue;
    }
    blocks.push(header(e.path, e.data.length, e.mode ?? 0o644, '0'));
    blocks.push(e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function putBlob(store, mediaType, bytes) {
  const descriptor = { mediaType, digest: sha256(bytes), size: bytes.length };
  await store.pushBlob(descriptor, async () => Readable.from([bytes]));
  return descriptor;
}

async function putJson(store, mediaType, value, options) {
  const bytes = Buffer.from(JSON.stringify(value));
  if (mediaType === MediaType.OciManifest || mediaType === MediaType.OciIndex) {
    return store.putManifest(bytes, mediaType, options);
  }
  return putBlob(store, mediaType, bytes);
}

/** One image: a layer holding /usr/share/grafana/bin/grafana, the config, the manifest. */
async function image(store, { platform, binary, tag }) {
  const layerTar = tar([
    { path: 'usr/', dir: true },
    { path: 'usr/share/', dir: true },
    { path: 'usr/share/grafana/', dir: true },
    { path: 'usr/share/grafana/bin/', dir: true },
    { path: 'usr/share/grafana/bin/grafana', data: binary, mode: 0o755 },
  ]);
  const layer = await putBlob(store, MediaType.OciLayerGzip, gzipSync(layerTar, { level: 9 }));
  const config = await putJson(store, MediaType.OciConfig, {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: FIXED_TIME.toISOString(),
    config: {
      Entrypoint: ['grafana', 'server'],
      Env: ['PATH=/usr/share/grafana/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      WorkingDir: '/usr/share/grafana',
      User: '472',
    },
    rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
  });
  const manifest = await putJson(
    store,
    MediaType.OciManifest,
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config,
      layers: [layer],
    },
    tag ? { tag } : undefined,
  );
  return { ...manifest, platform };
}

/** A buildx-style provenance attestation of `subject`. */
async function attestation(store, subject) {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      subject: [{ name: 'demo', digest: { sha256: subject.digest.slice(7) } }],
      predicate: { builder: { id: 'demo' } },
    }),
  );
  const layer = await putBlob(store, 'application/vnd.in-toto+json', statement);
  layer.annotations = { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' };
  const config = await putJson(store, MediaType.OciConfig, {
    architecture: 'unknown',
    os: 'unknown',
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const manifest = await putJson(store, MediaType.OciManifest, {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers: [layer],
  });
  return {
    ...manifest,
    platform: { architecture: 'unknown', os: 'unknown' },
    annotations: { 'vnd.docker.reference.digest': subject.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
  };
}

/** Writes oci:<dir>/upstream:latest (three platforms + attestations) and oci:<dir>/mislabeled:latest. */
export async function buildDemoImages(dir) {
  const upstream = await openLayout(`${dir}/upstream`, { create: true });
  const images = [];
  for (const [platform, binary] of [
    [{ os: 'linux', architecture: 'amd64' }, BINARIES.amd64],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, BINARIES.arm64],
    [{ os: 'linux', architecture: 'arm', variant: 'v7' }, BINARIES.arm],
  ]) {
    images.push(await image(upstream, { platform, binary }));
  }
  const attestations = [];
  for (const subject of images.slice(0, 2)) attestations.push(await attestation(upstream, subject));
  await putJson(
    upstream,
    MediaType.OciIndex,
    { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...images, ...attestations] },
    { tag: 'latest' },
  );

  const mislabeled = await openLayout(`${dir}/mislabeled`, { create: true });
  await image(mislabeled, { platform: { os: 'linux', architecture: 'amd64' }, binary: BINARIES.arm64, tag: 'latest' });
}
