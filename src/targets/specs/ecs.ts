// ECS task definitions: `aws ecs describe-task-definition` output ({ taskDefinition: {…} }) or the input of
// `register-task-definition` ({ family, containerDefinitions, runtimePlatform, requiresCompatibilities }).
import { runtimePlatformTarget } from './aws.js';
import { type Collector, isObject, str } from './collect.js';
import { invalidSpec } from './parse-text.js';
import type { PathSegment } from './path.js';

export function isEcsTaskDefinition(value: Record<string, unknown>): boolean {
  return isObject(value.taskDefinition) || Array.isArray(value.containerDefinitions);
}

/** `ecs-fargate` when the task requires Fargate, else `ecs` (EC2, Managed Instances, External). */
export function ecsTargetName(requiresCompatibilities: unknown): string {
  return Array.isArray(requiresCompatibilities) &&
    requiresCompatibilities.some((c) => typeof c === 'string' && c.toUpperCase() === 'FARGATE')
    ? 'ecs-fargate'
    : 'ecs';
}

export function readEcsTaskDefinition(value: Record<string, unknown>, c: Collector): void {
  const described = isObject(value.taskDefinition);
  const task = described ? (value.taskDefinition as Record<string, unknown>) : value;
  const base: PathSegment[] = described ? ['taskDefinition'] : [];
  const definitions = task.containerDefinitions;
  if (!Array.isArray(definitions)) {
    throw invalidSpec(c.file, 'not an ECS task definition: no containerDefinitions list');
  }
  const family = str(task.family);
  const platform = isObject(task.runtimePlatform) ? task.runtimePlatform : {};
  const choice = runtimePlatformTarget(
    ecsTargetName(task.requiresCompatibilities),
    platform.cpuArchitecture,
    platform.operatingSystemFamily,
  );
  definitions.forEach((container, i) => {
    const path = [...base, 'containerDefinitions', i];
    const containerName = (isObject(container) ? str(container.name) : undefined) ?? `#${i}`;
    const name = family === undefined ? containerName : `${family}/${containerName}`;
    if (!isObject(container)) {
      c.skip({ path, name }, 'the container definition is not an object');
      return;
    }
    c.add({ path, name }, container.image, choice);
  });
}
