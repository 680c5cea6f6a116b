import { ArchfitError, errorKind, inspect, isArchfitError, parsePlatform, parseReference } from 'archfit';

const dir = process.argv[2] ?? 'demo';

// Every failure is an ArchfitError with a stable `code`; `kind` says which exit code the CLI would give it:
// 'invalid-input' → 2, 'answer-no' → 1, 'failure' (could not find out) → 3.
async function attempt(what: string, run: () => unknown): Promise<void> {
  try {
    await run();
    console.log(`${what}: ok`);
  } catch (error) {
    if (!isArchfitError(error)) throw error;
    console.log(`${what}: ${error.code} (${error.kind})`);
  }
}

await attempt('a reference in capitals', () => parseReference('Grafana/Grafana'));
await attempt('a platform with a wildcard', () => parsePlatform('linux/*'));
await attempt('a platform the image lacks', () => inspect(`oci:${dir}/upstream:latest`, { platform: 'linux/ppc64le' }));
await attempt('a tag that is not there', () => inspect(`oci:${dir}/upstream:v9`));
await attempt('a directory that is not there', () => inspect(`oci:${dir}/nothing:latest`));

// `details` holds machine-readable facts where there are some; `cause` the underlying error.
try {
  await inspect(`oci:${dir}/upstream:latest`, { platform: 'windows/amd64' });
} catch (error) {
  if (error instanceof ArchfitError && error.code === 'NO_MATCHING_PLATFORM') {
    console.log(`available: ${(error.details.available as string[]).join(', ')}`);
  }
}
console.log(errorKind('DOES_NOT_FIT'), errorKind('UNAUTHORIZED'));
