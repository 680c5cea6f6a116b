import { type CopyEvent, copy } from 'archfit';

const dir = process.argv[2] ?? 'demo';
const source = `oci:${dir}/upstream:latest`;

// Exactly the platforms asked for: with two of three, the destination gets a new index listing only those two (and
// the attestations of those two). Progress arrives as events; the CLI draws its progress bars from them.
const seen = new Set<CopyEvent['type']>();
const onEvent = (event: CopyEvent) => {
  seen.add(event.type);
  if (event.type === 'plan') console.log(`plan: ${event.blobs} blobs, ${event.plan.children.length} child manifests`);
  if (event.type === 'tag') console.log('tagged last, after everything it points at');
};
const subset = await copy(source, `oci:${dir}/mirror:latest`, { platforms: ['linux/amd64', 'linux/arm64'], onEvent });
console.log(`platforms: ${subset.platforms.join(', ')}; rewritten index: ${subset.rewritten}`);
console.log(`blobs: ${subset.blobs.copied} copied; manifests: ${subset.manifests.put} put`);
console.log(`events: ${[...seen.keys()].filter((type) => type !== 'blob-progress').join(', ')}`);

// Copying again moves nothing: a manifest already at the destination is not descended into, a blob there is skipped.
const again = await copy(source, `oci:${dir}/mirror:latest`, { platforms: ['linux/amd64', 'linux/arm64'] });
console.log(`again: ${again.blobs.copied} blobs copied, ${again.manifests.skipped} child manifests already there`);

// Without platforms every platform is kept, byte for byte: the destination has the source's digest.
const all = await copy(source, `oci:${dir}/all`);
console.log(
  `everything: same digest ${all.destination.digest === all.source.digest}, ${all.platforms.length} platforms`,
);

// One platform: the destination is that platform's image manifest itself (what Lambda wants), not an index.
const one = await copy(source, `oci:${dir}/fn:latest`, { platforms: ['linux/amd64'] });
console.log(`one platform: ${one.platforms.join(', ')}, rewritten index: ${one.rewritten}`);

// A dry run plans and looks at what the destination has, and writes nothing.
const plan = await copy(source, `oci:${dir}/mirror:all`, { dryRun: true });
console.log(`dry run: would copy ${plan.blobs.copied} blobs for ${plan.platforms.join(', ')}`);
