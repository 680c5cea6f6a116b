import { check, parsePlatform, parseReference, platformMatcher } from 'archfit';

const dir = process.argv[2] ?? 'demo';

// Will the demo's upstream image run on App Runner and on Lambda? (Any location works: "grafana/grafana:latest" too.)
const result = await check(`oci:${dir}/upstream:latest`, ['apprunner', 'lambda']);
for (const verdict of result.results) {
  const codes = verdict.reasons.map((reason) => reason.code);
  console.log(verdict.target, verdict.platform, verdict.fits, codes);
}

console.log(parseReference('ubuntu').name);
console.log(platformMatcher('linux/amd64').match(parsePlatform('linux/386'))); // amd64 hosts run 386 images
