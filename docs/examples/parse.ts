import {
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  parseReference,
  platformMatcher,
  sortPlatforms,
} from 'archfit';

// Image references are read as docker reads them (distribution/reference).
const ubuntu = parseReference('ubuntu:24.04');
console.log(ubuntu.name, ubuntu.tag, ubuntu.familiarName);

const ecr = parseReference('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.4');
console.log(ecr.registry, ecr.repository);

// Platforms are read and normalised as containerd does: aarch64 is arm64, armhf is arm/v7, armel arm/v6.
const spelled = ['linux/aarch64', 'linux/armhf', 'linux/armel', 'x86_64'];
console.log(spelled.map((p) => formatPlatform(normalizePlatform(parsePlatform(p)))).join(' '));

// What a host runs: 'compatible' (the default) is containerd's rule, 'exact' only the platform itself.
const amd64Host = platformMatcher('linux/amd64');
console.log(
  amd64Host.match(parsePlatform('linux/386')),
  platformMatcher('linux/amd64', 'exact').match(parsePlatform('linux/386')),
);

// Which entry of an index an arm64 host pulls: the matching ones, best first.
const arm64Host = platformMatcher('linux/arm64');
const entries = ['linux/amd64', 'linux/arm/v7', 'linux/arm64/v8'].map((p) => parsePlatform(p));
const runnable = sortPlatforms(arm64Host, entries).filter((p) => arm64Host.match(p));
console.log(runnable.map((p) => formatPlatform(p)).join(' then '));
