import { formatPlatform, listTargets, resolveTarget } from 'archfit';

// Deployment targets are data: the platforms they run, whether they take an index, and where each rule comes from.
for (const t of listTargets().filter((target) => !target.acceptsIndex || target.requiresInIndex.length > 0)) {
  const rule = t.acceptsIndex
    ? `needs ${t.requiresInIndex.map((p) => formatPlatform(p)).join(', ')} in an index`
    : 'takes a single image manifest only';
  console.log(`${t.name}: ${rule} (${t.source.kind})`);
}

// A target as written on the command line, resolved: its canonical spec and the platforms it runs.
for (const spec of ['fargate:ARM64', 'lambda', 'k8s:amd64,arm64', 'platform:linux/arm/v7']) {
  const t = resolveTarget(spec);
  console.log(`${spec} → ${t.spec}: ${t.platforms.map((p) => formatPlatform(p)).join(', ')}`);
}
