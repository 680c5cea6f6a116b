import { type CheckResult, check } from 'archfit';

const dir = process.argv[2] ?? 'demo';

function print(result: CheckResult): void {
  for (const r of result.results) {
    const where = r.target ? `${r.target} (${r.platform})` : r.platform;
    const reasons = r.reasons.map((reason) => `${reason.severity === 'warning' ? 'warning ' : ''}${reason.code}`);
    console.log(`${r.fits ? 'fits  ' : 'no fit'}  ${where}${reasons.length > 0 ? `: ${reasons.join(', ')}` : ''}`);
  }
  console.log(`fits everywhere: ${result.fits}`);
}

// Targets by name (see `archfit targets`), with an option after a colon, or plain platforms. One verdict per platform
// a target runs; each reason has a stable code, a message with the fix, and (deep reasons) the file and its layer.
print(
  await check(`oci:${dir}/upstream:latest`, ['apprunner', 'lambda', 'ecs:arm64', 'k8s:amd64,arm64', 'linux/s390x']),
);

// The label says linux/amd64; the deep check reads the entrypoint's ELF header inside the layers.
const label = await check(`oci:${dir}/mislabeled:latest`, ['apprunner']);
const deep = await check(`oci:${dir}/mislabeled:latest`, ['apprunner'], { deep: true });
console.log(`by its label: ${label.fits}; by its binary: ${deep.fits}`);
const reason = deep.results[0]?.reasons[0];
console.log(`${reason?.code} at ${reason?.path}, found ${reason?.detail?.found}`);
