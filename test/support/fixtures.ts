// Fixture images made of REAL binaries (Debian's busybox-static for six architectures, and a dynamic binary of the
// host), written as OCI image layouts. Deterministic (fixed timestamps, owners and JSON), so digests are stable;
// cached under the test cache dir, keyed by a hash of this generator and its inputs, and rebuilt only when those
// change. Each fixture comes with typed metadata (tag, platforms, digests, expected outcomes) for tests to assert.
//
//   const fx = await loadFixtures();
//   const pushed = await pushFixture(registry, fx.multiArch);   // skopeo copy --all --preserve-digests
//   assert.equal(pushed.digest, fx.multiArch.root.digest);
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readElfFacts } from './elf.js';
import {
  type Compression,
  compress,
  type Descriptor,
  FIXED_CREATED,
  LayoutWriter,
  MediaType,
  makeTar,
  type Platform,
  sha256Digest,
  type TarEntry,
} from './oci-layout.js';
import { busyboxPath, type DebianArch, testCacheDir } from './paths.js';
import type { TestRegistry } from './registry.js';
import { type RegistryCredentials, RegistryHttpClient } from './registry-http.js';
import { dockerRef, skopeoCopy } from './tools.js';

/** Bump to force a rebuild when something outside the hashed inputs changes the output. */
const GENERATOR_VERSION = 1;

export interface FixtureBlob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface FixtureLayer extends FixtureBlob {
  /** sha256 of the uncompressed tar, as in the config's `rootfs.diff_ids`. */
  diffId: string;
  compression: Compression;
}

/** ELF machine (e_machine) of a binary, with its usual name. */
export interface ElfMachine {
  machine: number;
  name: 'x86_64' | 'aarch64' | 'arm' | 'i386' | 'ppc64' | 's390';
}

export interface FixtureImage {
  /** As in the index entry (and the config). */
  platform: Platform;
  /** `os/architecture[/variant]`, e.g. `linux/arm64/v8`. */
  platformString: string;
  manifest: FixtureBlob;
  config: FixtureBlob;
  layers: FixtureLayer[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  /** ELF machine of the binary the entrypoint really runs, when it is an ELF. */
  entrypointElf?: ElfMachine;
}

/** A buildx-style attestation manifest (`unknown/unknown` in the index). */
export interface FixtureAttestation {
  manifest: FixtureBlob;
  config: FixtureBlob;
  /** The in-toto statement layer(s), media type `application/vnd.in-toto+json`. */
  layers: FixtureBlob[];
  /** Digest of the image manifest it is about (`vnd.docker.reference.digest`). */
  subject: string;
  subjectPlatform: string;
}

/**
 * What a deep check (reading the layers for the entrypoint binary) must conclude:
 * - `fits`: the resolved entrypoint is an ELF for the declared platform;
 * - `arch-mismatch`: it is an ELF for another machine (exec format error at run time);
 * - `entrypoint-missing`: the path does not exist in the merged rootfs (e.g. removed by a whiteout);
 * - `interpreter-missing`: a dynamic ELF whose PT_INTERP loader is absent from the image (ENOENT at run time);
 * - `exec-format-error`: a script without `#!` (the kernel refuses it: ENOEXEC);
 * - `interpreter-crlf`: a `#!/bin/sh\r\n` script: the kernel looks for `/bin/sh\r` (ENOENT).
 */
export type DeepCheckOutcome =
  | 'fits'
  | 'arch-mismatch'
  | 'entrypoint-missing'
  | 'interpreter-missing'
  | 'exec-format-error'
  | 'interpreter-crlf';

export interface DeepCheckExpectation {
  outcome: DeepCheckOutcome;
  /** The declared platform (config and manifest), e.g. `linux/amd64`. */
  declared: string;
  /** argv as the runtime builds it: Entrypoint then Cmd. */
  command: string[];
  /** The file exec'd, after PATH lookup and symlinks, in the merged rootfs; absent when missing. */
  resolvedPath?: string;
  /** When the resolved file is an ELF. */
  elf?: ElfMachine;
  /** The interpreter asked for: PT_INTERP of a dynamic ELF, or the shebang's (with its `\r`). */
  interpreter?: string;
  /** Paths that must not exist in the merged rootfs (whiteouts). */
  absentPaths?: string[];
  /** Paths that must exist in the merged rootfs. */
  presentPaths?: string[];
  why: string;
}

export type FixtureName =
  | 'multiArch'
  | 'arm64OnlyDocker'
  | 'singlePlatformBuildx'
  | 'scriptNoShebang'
  | 'scriptCrlfShebang'
  | 'missingLoader'
  | 'pathSymlinkOverride'
  | 'whiteoutEntrypoint'
  | 'opaqueWhiteoutMismatch'
  | 'zstdLayer'
  | 'configArchMismatch';

export const FIXTURE_NAMES: readonly FixtureName[] = [
  'multiArch',
  'arm64OnlyDocker',
  'singlePlatformBuildx',
  'scriptNoShebang',
  'scriptCrlfShebang',
  'missingLoader',
  'pathSymlinkOverride',
  'whiteoutEntrypoint',
  'opaqueWhiteoutMismatch',
  'zstdLayer',
  'configArchMismatch',
];

/** The deep-check fixtures (single-platform images with an `expect`). */
export const DEEP_CHECK_FIXTURES: readonly FixtureName[] = FIXTURE_NAMES.slice(3);

/** What is stored in the cache (JSON) for each fixture. */
export interface FixtureMeta {
  name: FixtureName;
  description: string;
  /** The tag in the layout's index.json (`org.opencontainers.image.ref.name`), and the default push tag. */
  tag: string;
  /** `index` when the tag points at an image index, `image` when at an image manifest. */
  kind: 'index' | 'image';
  /** The tagged descriptor: the index, or the image manifest. */
  root: FixtureBlob;
  /** Runnable images, in index order. */
  images: FixtureImage[];
  attestations: FixtureAttestation[];
  /** Platform strings of `images` (attestations excluded), in index order. */
  platforms: string[];
  /** Config and layer blobs of every image and attestation, each once, in push order. */
  blobs: FixtureBlob[];
  /** Child manifests (images, then attestations), in index order; empty for `kind: 'image'`. */
  children: FixtureBlob[];
  /** How `pushFixture` pushes it: skopeo, or plain HTTP where skopeo would convert the manifest. */
  push: 'skopeo' | 'http';
  expect?: DeepCheckExpectation;
}

export interface Fixture extends FixtureMeta {
  /** The OCI image layout directory. */
  dir: string;
  /** `oci:<dir>:<tag>`, for skopeo. */
  ociRef: string;
  /** The root manifest/index bytes exactly as stored. */
  rootBytes: Buffer;
  blobPath(digest: string): string;
  readBlob(digest: string): Buffer;
  /** Parsed JSON of a stored manifest, index or config. */
  readJson<T = unknown>(digest: string): T;
}

export type Fixtures = { readonly [K in FixtureName]: Fixture };

// --- building -----------------------------------------------------------------------------------------------------

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const ELF_NAMES: Record<number, ElfMachine['name']> = {
  62: 'x86_64',
  183: 'aarch64',
  40: 'arm',
  3: 'i386',
  21: 'ppc64',
  22: 's390',
};

/** OCI platform of each Debian architecture, as buildx labels them (arm64 with variant v8, like grafana's). */
const PLATFORM_OF: Record<DebianArch, Platform> = {
  amd64: { architecture: 'amd64', os: 'linux' },
  arm64: { architecture: 'arm64', os: 'linux', variant: 'v8' },
  armhf: { architecture: 'arm', os: 'linux', variant: 'v7' },
  i386: { architecture: '386', os: 'linux' },
  ppc64el: { architecture: 'ppc64le', os: 'linux' },
  s390x: { architecture: 's390x', os: 'linux' },
};

export const platformString = (p: Platform): string => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

function elfMachineOf(bytes: Buffer, what: string): ElfMachine {
  const facts = readElfFacts(bytes);
  const name = facts ? ELF_NAMES[facts.machine] : undefined;
  if (!facts || !name) throw new Error(`test harness: ${what} is not an ELF of a known machine`);
  return { machine: facts.machine, name };
}

class BinaryCache {
  private readonly busybox = new Map<DebianArch, Buffer>();
  busyboxOf(arch: DebianArch): Buffer {
    let b = this.busybox.get(arch);
    if (!b) {
      b = readFileSync(busyboxPath(arch));
      this.busybox.set(arch, b);
    }
    return b;
  }
}

/** A dynamic ELF of the host (coreutils `true`) whose PT_INTERP loader will be missing from the image. */
function hostDynamicBinary(): { bytes: Buffer; interpreter: string; elf: ElfMachine; platform: Platform } {
  for (const candidate of ['/usr/bin/true', '/bin/true']) {
    if (!existsSync(candidate)) continue;
    const bytes = readFileSync(candidate);
    const facts = readElfFacts(bytes);
    if (!facts?.interpreter) continue;
    const elf = elfMachineOf(bytes, candidate);
    const architecture = elf.name === 'x86_64' ? 'amd64' : elf.name === 'aarch64' ? 'arm64' : undefined;
    if (!architecture) continue;
    return { bytes, interpreter: facts.interpreter, elf, platform: { architecture, os: 'linux' } };
  }
  throw new Error('test harness: no dynamic x86_64 or aarch64 `true` binary found on this host');
}

interface LayerSpec {
  entries: TarEntry[];
  compression: Compression;
}

interface ImageSpec {
  platform: Platform;
  layers: LayerSpec[];
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string };
  format?: 'oci' | 'docker';
  entrypointElf?: ElfMachine;
}

/** Stores layers, config and manifest of one image; returns its metadata. */
async function writeImage(w: LayoutWriter, spec: ImageSpec, blobs: FixtureBlob[]): Promise<FixtureImage> {
  const docker = spec.format === 'docker';
  const layers: FixtureLayer[] = [];
  for (const l of spec.layers) {
    const tar = await makeTar(l.entries);
    const body = compress(tar, l.compression);
    const mediaType = docker
      ? MediaType.dockerLayerGzip
      : l.compression === 'zstd'
        ? MediaType.ociLayerZstd
        : l.compression === 'gzip'
          ? MediaType.ociLayerGzip
          : MediaType.ociLayer;
    if (docker && l.compression !== 'gzip') throw new Error('test harness: docker layers are gzip here');
    const layer = { mediaType, ...w.writeBlob(body), diffId: sha256Digest(tar), compression: l.compression };
    layers.push(layer);
    blobs.push({ mediaType, digest: layer.digest, size: layer.size });
  }
  const created = FIXED_CREATED;
  const config = {
    created,
    architecture: spec.platform.architecture,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    os: spec.platform.os,
    config: { Env: spec.config.Env ?? [DEFAULT_PATH], ...spec.config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created, created_by: `archfit test fixture: layer ${i + 1}` })),
  };
  const configBlob = w.writeJson(config, docker ? MediaType.dockerConfig : MediaType.ociConfig).descriptor;
  blobs.push(configBlob);
  const manifestType = docker ? MediaType.dockerManifest : MediaType.ociManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType: manifestType,
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const m = w.writeJson(manifest, manifestType).descriptor;
  return {
    platform: spec.platform,
    platformString: platformString(spec.platform),
    manifest: { mediaType: m.mediaType, digest: m.digest, size: m.size },
    config: configBlob,
    layers,
    ...(spec.config.Entrypoint ? { entrypoint: spec.config.Entrypoint } : {}),
    ...(spec.config.Cmd ? { cmd: spec.config.Cmd } : {}),
    env: config.config.Env,
    ...(spec.entrypointElf ? { entrypointElf: spec.entrypointElf } : {}),
  };
}

/** A buildx-style SLSA provenance attestation manifest for `image`. */
function writeAttestation(
  w: LayoutWriter,
  fixture: string,
  image: FixtureImage,
  blobs: FixtureBlob[],
): FixtureAttestation {
  const created = FIXED_CREATED;
  const statement = {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [
      {
        name: `pkg:docker/archfit-test/${fixture}@latest?platform=${encodeURIComponent(image.platformString)}`,
        digest: { sha256: image.manifest.digest.slice('sha256:'.length) },
      },
    ],
    predicate: {
      builder: { id: '' },
      buildType: 'https://mobyproject.org/buildkit@v1',
      materials: [],
      invocation: { configSource: {}, parameters: { frontend: 'dockerfile.v0' } },
      metadata: { buildStartedOn: created, buildFinishedOn: created, completeness: {}, reproducible: false },
    },
  };
  const layer = w.writeJson(statement, MediaType.inToto).descriptor;
  blobs.push(layer);
  const config = w.writeJson(
    { architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } },
    MediaType.ociConfig,
  ).descriptor;
  blobs.push(config);
  const manifest = w.writeJson(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: [{ ...layer, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } }],
    },
    MediaType.ociManifest,
  ).descriptor;
  return {
    manifest,
    config,
    layers: [layer],
    subject: image.manifest.digest,
    subjectPlatform: image.platformString,
  };
}

/** Writes an OCI index of images (+ attestations for some of them, buildx order: images first). */
function writeIndex(
  w: LayoutWriter,
  images: FixtureImage[],
  attestations: FixtureAttestation[],
): { root: Descriptor; children: FixtureBlob[] } {
  const manifests: Descriptor[] = [
    ...images.map((i) => ({ ...i.manifest, platform: i.platform })),
    ...attestations.map((a) => ({
      ...a.manifest,
      annotations: {
        'vnd.docker.reference.digest': a.subject,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
      platform: { architecture: 'unknown', os: 'unknown' },
    })),
  ];
  const root = w.writeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, MediaType.ociIndex);
  return {
    root: root.descriptor,
    children: [...images.map((i) => i.manifest), ...attestations.map((a) => a.manifest)],
  };
}

const dir = (path: string): TarEntry => ({ type: 'dir', path });
const exe = (path: string, content: Buffer | string): TarEntry => ({ type: 'file', path, content, mode: 0o755 });

/** `/bin/busybox` (static, `arch`) and `/bin/sh -> busybox`. */
function busyboxRoot(bins: BinaryCache, arch: DebianArch): TarEntry[] {
  return [dir('bin'), exe('bin/busybox', bins.busyboxOf(arch)), { type: 'symlink', path: 'bin/sh', target: 'busybox' }];
}

async function buildOne(
  root: string,
  name: FixtureName,
  description: string,
  push: FixtureMeta['push'],
  make: (
    w: LayoutWriter,
    blobs: FixtureBlob[],
  ) => Promise<Omit<FixtureMeta, 'name' | 'description' | 'tag' | 'push' | 'blobs' | 'platforms'>>,
): Promise<FixtureMeta> {
  const w = new LayoutWriter(join(root, name));
  const blobs: FixtureBlob[] = [];
  const partial = await make(w, blobs);
  const tag = 'latest';
  w.tag(partial.root, tag);
  w.finish();
  const unique = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  return {
    name,
    description,
    tag,
    push,
    blobs: unique,
    platforms: partial.images.map((i) => i.platformString),
    ...partial,
  };
}

const AMD64: Platform = { architecture: 'amd64', os: 'linux' };

/** Builds every fixture into `outDir` (one OCI layout per fixture) and returns their metadata. */
export async function buildFixtures(outDir: string): Promise<Record<FixtureName, FixtureMeta>> {
  const bins = new BinaryCache();
  const out: Partial<Record<FixtureName, FixtureMeta>> = {};
  const x86 = elfMachineOf(bins.busyboxOf('amd64'), 'busybox-amd64');
  const arm64 = elfMachineOf(bins.busyboxOf('arm64'), 'busybox-arm64');

  /** A single linux/amd64 OCI image with an expectation (the deep-check fixtures). */
  const deep = async (
    name: FixtureName,
    description: string,
    spec: Omit<ImageSpec, 'platform'> & { platform?: Platform },
    expect: Omit<DeepCheckExpectation, 'declared' | 'command'>,
  ) => {
    out[name] = await buildOne(outDir, name, description, 'skopeo', async (w, blobs) => {
      const image = await writeImage(w, { platform: AMD64, ...spec }, blobs);
      return {
        kind: 'image',
        root: image.manifest,
        images: [image],
        attestations: [],
        children: [],
        expect: {
          declared: image.platformString,
          command: [...(image.entrypoint ?? []), ...(image.cmd ?? [])],
          ...expect,
        },
      };
    });
  };

  // 1. Six platforms, attestations for amd64 and arm64, as `docker buildx build --platform … --push` emits.
  out.multiArch = await buildOne(
    outDir,
    'multiArch',
    'OCI index: busybox for linux/amd64, arm64/v8, arm/v7, 386, ppc64le, s390x, plus buildx provenance attestation ' +
      'manifests (unknown/unknown) for amd64 and arm64',
    'skopeo',
    async (w, blobs) => {
      const arches: DebianArch[] = ['amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x'];
      const images: FixtureImage[] = [];
      for (const arch of arches) {
        images.push(
          await writeImage(
            w,
            {
              platform: PLATFORM_OF[arch],
              layers: [{ entries: busyboxRoot(bins, arch), compression: 'gzip' }],
              config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'uname -m'] },
              entrypointElf: elfMachineOf(bins.busyboxOf(arch), `busybox-${arch}`),
            },
            blobs,
          ),
        );
      }
      const attestations = [images[0]!, images[1]!].map((img) => writeAttestation(w, 'multi-arch', img, blobs));
      const { root, children } = writeIndex(w, images, attestations);
      return { kind: 'index', root, images, attestations, children };
    },
  );

  // 2. What `docker pull` + `docker push` of an arm64 image leaves behind: one Docker schema 2 manifest, no index.
  out.arm64OnlyDocker = await buildOne(
    outDir,
    'arm64OnlyDocker',
    'Docker v2 schema 2 image manifest (no index), linux/arm64/v8 busybox: what a pull and push from an arm64 ' +
      'machine leaves behind. Pushed by plain HTTP (skopeo would convert it)',
    'http',
    async (w, blobs) => {
      const image = await writeImage(
        w,
        {
          platform: PLATFORM_OF.arm64,
          format: 'docker',
          layers: [{ entries: busyboxRoot(bins, 'arm64'), compression: 'gzip' }],
          config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'uname -m'] },
          entrypointElf: arm64,
        },
        blobs,
      );
      return { kind: 'image', root: image.manifest, images: [image], attestations: [], children: [] };
    },
  );

  // 3. The Lambda trap: an index even for one platform, because of the attestation.
  out.singlePlatformBuildx = await buildOne(
    outDir,
    'singlePlatformBuildx',
    'OCI index with one linux/amd64 image and its provenance attestation manifest (buildx default since 0.10): ' +
      'an index where some targets (Lambda) want a single image manifest',
    'skopeo',
    async (w, blobs) => {
      const image = await writeImage(
        w,
        {
          platform: AMD64,
          layers: [{ entries: busyboxRoot(bins, 'amd64'), compression: 'gzip' }],
          config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'uname -m'] },
          entrypointElf: x86,
        },
        blobs,
      );
      const attestation = writeAttestation(w, 'single-platform-buildx', image, blobs);
      const { root, children } = writeIndex(w, [image], [attestation]);
      return { kind: 'index', root, images: [image], attestations: [attestation], children };
    },
  );

  // 4. Deep-check images.
  await deep(
    'scriptNoShebang',
    'Entrypoint /app/run is a shell script without `#!`: execve fails with ENOEXEC (exec format error)',
    {
      layers: [
        {
          entries: [...busyboxRoot(bins, 'amd64'), dir('app'), exe('app/run', 'echo hello from a script\n')],
          compression: 'gzip',
        },
      ],
      config: { Entrypoint: ['/app/run'] },
    },
    { outcome: 'exec-format-error', resolvedPath: '/app/run', why: 'a script needs a #! line to be exec’d' },
  );

  await deep(
    'scriptCrlfShebang',
    'Entrypoint /app/run starts with `#!/bin/sh\\r\\n` (CRLF): the kernel looks for the interpreter `/bin/sh\\r`',
    {
      layers: [
        {
          entries: [...busyboxRoot(bins, 'amd64'), dir('app'), exe('app/run', '#!/bin/sh\r\necho hello\r\n')],
          compression: 'gzip',
        },
      ],
      config: { Entrypoint: ['/app/run'] },
    },
    {
      outcome: 'interpreter-crlf',
      resolvedPath: '/app/run',
      interpreter: '/bin/sh\r',
      presentPaths: ['/bin/sh'],
      why: 'the shebang line ends in \\r, so the interpreter path includes it and does not exist',
    },
  );

  const host = hostDynamicBinary();
  await deep(
    'missingLoader',
    `Entrypoint /usr/bin/true is a dynamic ${host.elf.name} ELF (from the host) whose loader ${host.interpreter} is ` +
      'not in the image: execve fails with ENOENT',
    {
      platform: host.platform,
      layers: [{ entries: [dir('usr'), dir('usr/bin'), exe('usr/bin/true', host.bytes)], compression: 'gzip' }],
      config: { Entrypoint: ['/usr/bin/true'] },
    },
    {
      outcome: 'interpreter-missing',
      resolvedPath: '/usr/bin/true',
      elf: host.elf,
      interpreter: host.interpreter,
      absentPaths: [host.interpreter],
      why: 'the PT_INTERP loader is missing from the image',
    },
  );

  await deep(
    'pathSymlinkOverride',
    'Entrypoint `hello` (no slash) is found through PATH at /usr/local/bin/hello, a relative symlink to ' +
      '../../../bin/busybox; the lower layer has arm64 files at both paths, the upper layer replaces them with the ' +
      'symlink and amd64 busybox',
    {
      layers: [
        {
          entries: [
            dir('bin'),
            exe('bin/busybox', bins.busyboxOf('arm64')),
            dir('usr'),
            dir('usr/local'),
            dir('usr/local/bin'),
            exe('usr/local/bin/hello', bins.busyboxOf('arm64')),
          ],
          compression: 'gzip',
        },
        {
          entries: [
            dir('bin'),
            exe('bin/busybox', bins.busyboxOf('amd64')),
            dir('usr'),
            dir('usr/local'),
            dir('usr/local/bin'),
            { type: 'symlink', path: 'usr/local/bin/hello', target: '../../../bin/busybox' },
          ],
          compression: 'gzip',
        },
      ],
      config: { Entrypoint: ['hello'], Cmd: ['echo', 'hi'] },
    },
    {
      outcome: 'fits',
      resolvedPath: '/bin/busybox',
      elf: x86,
      presentPaths: ['/usr/local/bin/hello'],
      why: 'the upper layer wins: hello -> ../../../bin/busybox, which is amd64',
    },
  );

  await deep(
    'whiteoutEntrypoint',
    'Entrypoint /app/server exists in the lower layer but the upper layer deletes it with /app/.wh.server',
    {
      layers: [
        {
          entries: [...busyboxRoot(bins, 'amd64'), dir('app'), exe('app/server', bins.busyboxOf('amd64'))],
          compression: 'gzip',
        },
        { entries: [dir('app'), { type: 'file', path: 'app/.wh.server', content: '' }], compression: 'gzip' },
      ],
      config: { Entrypoint: ['/app/server'] },
    },
    {
      outcome: 'entrypoint-missing',
      absentPaths: ['/app/server'],
      presentPaths: ['/bin/busybox'],
      why: 'a whiteout in an upper layer removes the file',
    },
  );

  await deep(
    'opaqueWhiteoutMismatch',
    'Labelled linux/amd64; /opt/app is made opaque (.wh..wh..opq) in the upper layer, which puts an arm64 binary at ' +
      '/opt/app/server in place of the lower amd64 one; the lower /opt/app/README is gone',
    {
      layers: [
        {
          entries: [
            ...busyboxRoot(bins, 'amd64'),
            dir('opt'),
            dir('opt/app'),
            exe('opt/app/server', bins.busyboxOf('amd64')),
            { type: 'file', path: 'opt/app/README', content: 'lower layer\n' },
          ],
          compression: 'gzip',
        },
        {
          entries: [
            dir('opt'),
            dir('opt/app'),
            { type: 'file', path: 'opt/app/.wh..wh..opq', content: '' },
            exe('opt/app/server', bins.busyboxOf('arm64')),
          ],
          compression: 'gzip',
        },
      ],
      config: { Entrypoint: ['/opt/app/server'] },
    },
    {
      outcome: 'arch-mismatch',
      resolvedPath: '/opt/app/server',
      elf: arm64,
      absentPaths: ['/opt/app/README'],
      why: 'the binary that remains after the opaque whiteout is aarch64, the image says amd64',
    },
  );

  await deep(
    'zstdLayer',
    'Two layers: a gzip base with /etc/os-release, then busybox amd64 in a zstd layer (tar+zstd); Entrypoint /bin/sh',
    {
      layers: [
        {
          entries: [dir('etc'), { type: 'file', path: 'etc/os-release', content: 'ID=archfit-test\n' }],
          compression: 'gzip',
        },
        { entries: busyboxRoot(bins, 'amd64'), compression: 'zstd' },
      ],
      config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'uname -m'] },
    },
    {
      outcome: 'fits',
      resolvedPath: '/bin/busybox',
      elf: x86,
      presentPaths: ['/etc/os-release', '/bin/sh'],
      why: 'the zstd layer holds /bin/sh -> busybox, an amd64 ELF',
    },
  );

  await deep(
    'configArchMismatch',
    'Config and manifest say linux/amd64, but /bin/busybox (Entrypoint /bin/sh -> busybox) is arm64',
    {
      layers: [{ entries: busyboxRoot(bins, 'arm64'), compression: 'gzip' }],
      config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'uname -m'] },
    },
    {
      outcome: 'arch-mismatch',
      resolvedPath: '/bin/busybox',
      elf: arm64,
      why: 'the label says amd64 but the binary is aarch64 (exec format error at run time)',
    },
  );

  for (const name of FIXTURE_NAMES) {
    if (!out[name]) throw new Error(`test harness: fixture ${name} was not built`);
  }
  return out as Record<FixtureName, FixtureMeta>;
}

// --- cache and loading --------------------------------------------------------------------------------------------

function fileHash(h: ReturnType<typeof createHash>, file: string): void {
  h.update(file);
  h.update(existsSync(file) ? readFileSync(file) : Buffer.from('missing'));
}

/** A hash of everything the fixtures are made from: this generator's sources, the binaries, zlib and zstd. */
function cacheKey(): string {
  const h = createHash('sha256');
  h.update(`generator ${GENERATOR_VERSION}\n`);
  for (const mod of ['./fixtures', './oci-layout', './elf']) {
    for (const ext of ['.ts', '.js']) {
      const file = fileURLToPath(new URL(`${mod}${ext}`, import.meta.url));
      if (existsSync(file)) fileHash(h, file);
    }
  }
  for (const arch of ['amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x'] as const) {
    h.update(readFileSync(busyboxPath(arch)));
  }
  h.update(hostDynamicBinary().bytes);
  h.update(`zlib ${process.versions.zlib}\n`);
  const zstd = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
  h.update(`zstd ${zstd.stdout ?? ''}\n`);
  return h.digest('hex').slice(0, 24);
}

function attach(dirOfAll: string, meta: FixtureMeta): Fixture {
  const dir = join(dirOfAll, meta.name);
  const blobPath = (digest: string) => join(dir, 'blobs', ...digest.split(':'));
  const readBlob = (digest: string) => readFileSync(blobPath(digest));
  const rootBytes = readBlob(meta.root.digest);
  if (sha256Digest(rootBytes) !== meta.root.digest) {
    throw new Error(`test harness: cached fixture ${meta.name} is corrupt (${dir}); delete it to rebuild`);
  }
  return {
    ...meta,
    dir,
    ociRef: `oci:${dir}:${meta.tag}`,
    rootBytes,
    blobPath,
    readBlob,
    readJson: <T>(digest: string) => JSON.parse(readBlob(digest).toString('utf8')) as T,
  };
}

let loaded: Promise<Fixtures> | undefined;

/**
 * The fixtures, built on first use into `<test cache>/fixtures/<key>/` (atomically, so parallel test processes
 * agree) and reused while the key is unchanged. Memoised per process.
 */
export function loadFixtures(): Promise<Fixtures> {
  loaded ??= loadOrBuild();
  return loaded;
}

async function loadOrBuild(): Promise<Fixtures> {
  const base = join(testCacheDir(), 'fixtures');
  const key = cacheKey();
  const final = join(base, key);
  const metaFile = join(final, 'fixtures.json');
  if (!existsSync(metaFile)) {
    mkdirSync(base, { recursive: true });
    const tmp = join(base, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const metas = await buildFixtures(tmp);
      writeFileSync(join(tmp, 'fixtures.json'), JSON.stringify(metas, null, 2));
      try {
        renameSync(tmp, final);
      } catch (e) {
        // Another test process won the race: its build is identical.
        if (!existsSync(metaFile)) throw e;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    pruneOld(base, key);
  }
  const metas = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<FixtureName, FixtureMeta>;
  const fixtures = {} as Record<FixtureName, Fixture>;
  for (const name of FIXTURE_NAMES) fixtures[name] = attach(final, metas[name]);
  return fixtures;
}

/** Removes fixture builds of older generators and abandoned temp builds (older than an hour). */
function pruneOld(base: string, key: string): void {
  for (const entry of readdirSync(base)) {
    if (entry === key) continue;
    const p = join(base, entry);
    if (entry.startsWith('.build-') && Date.now() - statSync(p).mtimeMs < 3_600_000) continue;
    rmSync(p, { recursive: true, force: true });
  }
}

// --- pushing ------------------------------------------------------------------------------------------------------

export interface PushedFixture {
  /** `127.0.0.1:PORT/repo:tag` */
  reference: string;
  repo: string;
  tag: string;
  /** Digest of the root manifest/index as stored by the registry (checked equal to `fixture.root.digest`). */
  digest: string;
}

export interface PushFixtureOptions {
  /** Default: the registry's account, if any. */
  credentials?: RegistryCredentials | 'anonymous';
  /** Force plain HTTP even where skopeo would do. */
  via?: 'skopeo' | 'http';
}

/** Default repository of a fixture: `fixtures/<kebab-case name>`. */
export const fixtureRepo = (name: FixtureName): string =>
  `fixtures/${name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;

/**
 * Pushes a fixture into a test registry, keeping every byte: `skopeo copy --all --preserve-digests` from the OCI
 * layout, or plain HTTP for fixtures skopeo would convert (Docker schema 2). Then reads the manifest back and throws
 * unless the registry serves exactly the fixture's root bytes.
 */
export async function pushFixture(
  registry: TestRegistry,
  fixture: Fixture,
  repo: string = fixtureRepo(fixture.name),
  tag: string = fixture.tag,
  options: PushFixtureOptions = {},
): Promise<PushedFixture> {
  const via = options.via ?? fixture.push;
  const client = new RegistryHttpClient(registry, options.credentials ? { credentials: options.credentials } : {});
  if (via === 'http') {
    for (const blob of fixture.blobs) await client.pushBlob(repo, fixture.readBlob(blob.digest));
    for (const child of fixture.children) {
      await client.putManifest(repo, child.digest, fixture.readBlob(child.digest), child.mediaType);
    }
    await client.putManifest(repo, tag, fixture.rootBytes, fixture.root.mediaType);
  } else {
    await skopeoCopy(fixture.ociRef, dockerRef(registry, repo, tag), {
      destRegistry: registry,
      ...(options.credentials ? { destCredentials: options.credentials } : {}),
      all: true,
      preserveDigests: true,
    });
  }
  const got = await client.getManifest(repo, tag, [fixture.root.mediaType]);
  if (got.digest !== fixture.root.digest || !got.bytes.equals(fixture.rootBytes)) {
    throw new Error(
      `test harness: ${fixture.name} pushed by ${via} came back as ${got.digest}, not ${fixture.root.digest}`,
    );
  }
  return { reference: `${registry.host}/${repo}:${tag}`, repo, tag, digest: got.digest };
}
