import { Readable } from 'node:stream';
import { copyStore, digestOf, getConfig, inspectStore, MediaType, openLayout } from 'archfit';

const dir = process.argv[2] ?? 'demo';

// An OCI image layout directory is a ContentStore, like a registry repository or a docker-save archive: the same
// calls read and write all of them, and inspect, copy and check work on any of them.
const upstream = await openLayout(`${dir}/upstream`);
console.log(`tags: ${(await upstream.listTags?.())?.join(', ')}`);

// Manifests come back as the raw bytes (the digest is their hash, checked), parsed and validated.
const top = await upstream.getManifest('latest');
if (top.parsed.kind === 'index') {
  const images = top.parsed.index.manifests.filter((d) => d.platform?.architecture !== 'unknown');
  const first = images[0];
  console.log(`index of ${top.parsed.index.manifests.length} entries, ${images.length} of them images`);
  if (first) {
    const image = await upstream.getManifest(first.digest, { expected: first });
    if (image.parsed.kind === 'image') {
      const config = await getConfig(upstream, image.parsed.manifest.config);
      console.log(`first image: ${config.os}/${config.architecture}, ${image.parsed.manifest.layers.length} layer`);
    }
  }
}

// Writing: blobs first (each verified against its digest and size while it is written), then the manifest with its tag.
const scratch = await openLayout(`${dir}/scratch`, { create: true });
const bytes = Buffer.from('hello\n');
const blob = { mediaType: 'application/octet-stream', digest: digestOf(bytes), size: bytes.length };
await scratch.pushBlob(blob, async () => Readable.from([bytes]));
console.log(`blob stored: ${await scratch.hasBlob(blob)}`);

// The store-level functions take stores and references inside them (the string-taking ones open locations first).
const summary = await inspectStore(upstream, 'latest', { platform: 'linux/amd64' });
console.log(`inspectStore selects ${summary.selected?.platform}`);
const copied = await copyStore(upstream, 'latest', scratch, 'amd64', { platforms: ['linux/amd64'] });
console.log(
  `copyStore: ${copied.platforms.join(', ')} tagged amd64: ${(await scratch.listTags?.())?.includes('amd64')}`,
);
console.log(`an OCI index: ${top.parsed.mediaType === MediaType.OciIndex}`);
await upstream.close();
await scratch.close();
