// Writes the demo's images as OCI image layouts into the directory given (default ./demo): `upstream`, shaped like
// grafana/grafana (linux/amd64, linux/arm64/v8, linux/arm/v7 and buildx provenance attestations), and `mislabeled`,
// which says linux/amd64 but holds an arm64 program. The other examples read them.
//
//   node --import tsx docs/examples/demo-images.ts demo
const dir = process.argv[2] ?? 'demo';
// The builder is the demo's own plain JavaScript module (it uses archfit's openLayout, pushBlob and putManifest).
const { buildDemoImages } = (await import(new URL('../../examples/demo-images.mjs', import.meta.url).href)) as {
  buildDemoImages(dir: string): Promise<void>;
};
await buildDemoImages(dir);
console.log('wrote the upstream and mislabeled layouts');
