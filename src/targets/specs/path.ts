// Paths to entries inside a spec document, written the way a reader would look them up:
// `Resources.Api.Properties.ContainerDefinitions[0]`, `services.web`, `metadata.labels["app.kubernetes.io/name"]`,
// and, for Terraform's lists of resources, `resources[address=aws_ecs_task_definition.api]`.

/** A step into an array chosen by one of its fields rather than its position; `index` is where it is. */
export interface Selector {
  field: string;
  value: string;
  index: number;
}

export type PathSegment = string | number | Selector;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'object') out += `[${segment.field}=${segment.value}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The path with selectors replaced by their positions: the keys to walk the document with. */
export function rawPath(path: readonly PathSegment[]): (string | number)[] {
  return path.map((segment) => (typeof segment === 'object' ? segment.index : segment));
}
