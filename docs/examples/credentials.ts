import { homedir } from 'node:os';
import { chainCredentialStores, defaultCredentialStore, inspect, RegistryClient, staticCredentials } from 'archfit';

const dir = process.argv[2] ?? 'demo';

// The library reads no environment by itself. This is what the CLI uses: docker's config.json (and its credential
// helpers), REGISTRY_AUTH_FILE and the containers auth.json files, then for ECR hosts a token from the AWS SDK's
// default credential chain; anonymous otherwise.
const credentials = defaultCredentialStore({ env: process.env, homeDir: homedir() });

for (const host of ['registry.example.com', 'ghcr.io']) {
  const found = await credentials.get(host);
  console.log(`${host}: ${found?.username ?? 'anonymous'}`);
}

// Credentials of your own first (a CI token), then the defaults.
const ci = staticCredentials({ 'ghcr.io': { username: 'ci-bot', password: 'a-token-from-the-ci' } });
const chained = chainCredentialStores(ci, credentials);
console.log(`ghcr.io: ${(await chained.get('ghcr.io'))?.username}`);

// Pass them per call as `registry: { credentials }` (registry references use them; local layouts need none) ...
const once = await inspect(`oci:${dir}/upstream:latest`, { registry: { credentials: chained } });
console.log(`${once.platforms.length} platforms`);

// ... or share one client between calls, so connections and tokens are reused; close it when done.
const client = new RegistryClient({ credentials: chained });
try {
  const [upstream, mislabeled] = await Promise.all([
    inspect(`oci:${dir}/upstream:latest`, { client }),
    inspect(`oci:${dir}/mislabeled:latest`, { client }),
  ]);
  console.log(`${upstream.kind} and ${mislabeled.kind} through one client`);
} finally {
  await client.close();
}
