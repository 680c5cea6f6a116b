import { checkSpec } from 'archfit';

const dir = process.argv[2] ?? 'demo';

// A deployment spec names the images and implies where they run: this Fargate task asks for ARM64.
const taskDefinition = {
  family: 'grafana',
  requiresCompatibilities: ['FARGATE'],
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  containerDefinitions: [{ name: 'grafana', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/grafana:11' }],
};

// `resolve` checks an image the spec names as found somewhere else: here, a local build before it is pushed.
const result = await checkSpec(JSON.stringify(taskDefinition), {
  file: 'taskdef.json',
  resolve: { '123456789012.dkr.ecr.eu-west-1.amazonaws.com/grafana:11': `oci:${dir}/upstream:latest` },
});
for (const r of result.results) {
  console.log(`${r.source?.file} ${r.source?.path} (${r.source?.name}): ${r.target} ${r.platform} fits: ${r.fits}`);
}

// Kubernetes pods that pin no architecture run on the cluster's nodes: say which with nodeArch (default amd64).
const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  template:
    spec:
      containers:
        - { name: web, image: "registry.example.com/web:2" }
`;
const k8s = await checkSpec(deployment, {
  file: 'web.yaml',
  nodeArch: ['amd64', 's390x'],
  resolve: { 'registry.example.com/web:2': `oci:${dir}/upstream:latest` },
});
for (const r of k8s.results) {
  const codes = r.reasons.map((reason) => reason.code);
  console.log(`${r.source?.name}: ${r.target} ${r.platform} fits: ${r.fits}${codes.length > 0 ? ` (${codes})` : ''}`);
}
