import { inspect } from 'archfit';

const dir = process.argv[2] ?? 'demo';

// Any image location the CLI takes: a registry reference, oci:DIR[:TAG], oci:DIR@sha256:…, docker-archive:FILE[:REF].
const image = `oci:${dir}/upstream:latest`;

// One read of the top manifest: the platforms of an index, without fetching its children.
const result = await inspect(image);
console.log(`${result.kind} of ${result.platforms.length} platforms: ${result.platforms.join(', ')}`);
for (const m of result.manifests) {
  const attested = result.manifests.find((other) => other.digest === m.attests);
  console.log(`  ${m.kind.padEnd(11)} ${m.platform ?? `for ${attested?.platform}`}`);
}

// With a platform: the entry a host of that platform would pull (containerd's rules), and its config.
const arm64 = await inspect(image, { platform: 'linux/arm64' });
const selected = arm64.selected;
if (selected) {
  const { entrypoint, user, workingDir } = selected.config;
  console.log(
    `an arm64 host pulls ${selected.platform}: ${JSON.stringify(entrypoint)} as user ${user} in ${workingDir}`,
  );
}

// `full` fetches every child manifest and config: sizes, and the check that each config says what its entry says.
const full = await inspect(image, { full: true });
console.log(`sizes known: ${full.size !== null}, warnings: ${full.warnings.length}`);
