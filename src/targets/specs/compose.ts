// Docker Compose files: each service's `image` and `platform`. A service with a platform must run on it; one
// without is assumed to be deployed to linux/amd64, the usual host, and says so in its note. A service with only a
// `build:` has no image name to check and is skipped.
import { type Collector, isObject, type TargetChoice } from './collect.js';
import { invalidSpec } from './parse-text.js';
import { formatPath } from './path.js';

export const COMPOSE_DEFAULT_PLATFORM = 'linux/amd64';

export function isComposeFile(value: Record<string, unknown>): boolean {
  return isObject(value.services);
}

export function readCompose(value: Record<string, unknown>, c: Collector): void {
  if (!isObject(value.services)) throw invalidSpec(c.file, 'not a Compose file: no services');
  for (const [service, definition] of Object.entries(value.services)) {
    const path = ['services', service];
    const place = { path, name: formatPath(path) };
    if (!isObject(definition)) {
      c.skip(place, 'the service is not a mapping');
      continue;
    }
    if (definition.image === undefined || definition.image === null) {
      c.skip(place, definition.build === undefined ? 'no image' : 'built from build: with no image name to check');
      continue;
    }
    let choice: TargetChoice;
    if (typeof definition.platform === 'string' && definition.platform.trim() !== '') {
      choice = { spec: `platform:${definition.platform.trim()}` };
    } else if (definition.platform === undefined || definition.platform === null) {
      choice = {
        spec: `platform:${COMPOSE_DEFAULT_PLATFORM}`,
        note: `no platform: set; ${COMPOSE_DEFAULT_PLATFORM} assumed`,
      };
    } else {
      choice = { reason: `platform is not a platform string: ${JSON.stringify(definition.platform)}` };
    }
    c.add(place, definition.image, choice);
  }
}
