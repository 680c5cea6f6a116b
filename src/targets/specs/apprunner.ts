// App Runner services: the input of `aws apprunner create-service` or the output of `describe-service`
// ({ Service: {…} }). Only image-based services have an image; services built from source are skipped.
import { type Collector, isObject, str } from './collect.js';
import { invalidSpec } from './parse-text.js';
import type { PathSegment } from './path.js';

export function isAppRunnerService(value: Record<string, unknown>): boolean {
  return (
    (isObject(value.Service) && isObject(value.Service.SourceConfiguration)) || isObject(value.SourceConfiguration)
  );
}

export function readAppRunnerService(value: Record<string, unknown>, c: Collector): void {
  const described = isObject(value.Service);
  const service = described ? (value.Service as Record<string, unknown>) : value;
  const base: PathSegment[] = described ? ['Service', 'SourceConfiguration'] : ['SourceConfiguration'];
  const source = service.SourceConfiguration;
  if (!isObject(source)) throw invalidSpec(c.file, 'not an App Runner service: no SourceConfiguration');
  const name = str(service.ServiceName) ?? 'service';
  if (isObject(source.ImageRepository)) {
    c.add({ path: [...base, 'ImageRepository'], name }, source.ImageRepository.ImageIdentifier, { spec: 'apprunner' });
  } else if (isObject(source.CodeRepository)) {
    c.skip({ path: [...base, 'CodeRepository'], name }, 'built by App Runner from a source code repository; no image');
  } else {
    c.skip({ path: base, name }, 'no ImageRepository in SourceConfiguration');
  }
}
