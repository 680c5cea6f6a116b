// Terraform plans as JSON (`terraform show -json plan.out`; the state form with `values` reads the same): the
// resources that run a container image, in the root module and every child module.
//   aws_ecs_task_definition   container_definitions (a JSON string), runtime_platform, requires_compatibilities
//   aws_lambda_function       package_type "Image", image_uri, architectures
//   aws_apprunner_service     source_configuration[0].image_repository[0].image_identifier
//   aws_batch_job_definition  container_properties / ecs_properties / node_properties (JSON strings),
//                             platform_capabilities, eks_properties
// A value Terraform knows only after apply (it is left out of planned_values) is skipped with that reason.
import { lambdaTarget, runtimePlatformTarget } from './aws.js';
import { type Collector, isObject, type Place, str, type TargetChoice } from './collect.js';
import { ecsTargetName } from './ecs.js';
import { invalidSpec } from './parse-text.js';
import type { PathSegment } from './path.js';

export function isTerraformPlan(value: Record<string, unknown>): boolean {
  return isObject(value.planned_values) || (typeof value.terraform_version === 'string' && isObject(value.values));
}

export interface TerraformOptions {
  /** The target for Batch jobs on EKS (the cluster's node architectures). */
  eksTarget: TargetChoice;
}

const BATCH_EC2_NOTE =
  "an EC2 job definition: the architecture is that of the compute environment's instance types; X86_64 assumed";

/** True when `after_unknown` marks the attribute, or anything inside it, as known only after apply. */
function containsUnknown(value: unknown): boolean {
  if (value === true) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isObject(value)) return Object.values(value).some(containsUnknown);
  return false;
}

/** The first element of a nested block (Terraform writes a block as a list of one object). */
function block(value: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return isObject(first) ? first : undefined;
}

class PlanReader {
  /** `after_unknown` of each resource address, from resource_changes. */
  private readonly unknown = new Map<string, Record<string, unknown>>();

  constructor(
    plan: Record<string, unknown>,
    private readonly c: Collector,
    private readonly options: TerraformOptions,
  ) {
    if (Array.isArray(plan.resource_changes)) {
      for (const change of plan.resource_changes) {
        if (!isObject(change) || typeof change.address !== 'string' || !isObject(change.change)) continue;
        const afterUnknown = change.change.after_unknown;
        if (isObject(afterUnknown)) this.unknown.set(change.address, afterUnknown);
      }
    }
  }

  private isUnknown(address: string, attribute: string): boolean {
    return containsUnknown(this.unknown.get(address)?.[attribute]);
  }

  /** Skips a missing attribute, saying whether it is known only after apply. */
  private missing(place: Place, address: string, attribute: string): void {
    this.c.skip(
      place,
      this.isUnknown(address, attribute) ? `${attribute} is known only after apply` : `no ${attribute}`,
    );
  }

  /** A JSON-encoded attribute (container_definitions, container_properties …), or undefined after a skip. */
  private json(place: Place, address: string, attribute: string, value: unknown): unknown {
    if (typeof value !== 'string') {
      this.missing(place, address, attribute);
      return undefined;
    }
    try {
      return JSON.parse(value);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.c.skip(place, `${attribute} is not valid JSON: ${message.split('\n', 1)[0]}`);
      return undefined;
    }
  }

  module(module: unknown, at: PathSegment[]): void {
    if (!isObject(module)) return;
    if (Array.isArray(module.resources)) {
      module.resources.forEach((resource, index) => {
        if (!isObject(resource) || resource.mode === 'data' || typeof resource.address !== 'string') return;
        const values = isObject(resource.values) ? resource.values : {};
        const path = [...at, 'resources', { field: 'address', value: resource.address, index }, 'values'];
        this.resource(resource.address, String(resource.type), values, path);
      });
    }
    if (Array.isArray(module.child_modules)) {
      module.child_modules.forEach((child, index) => {
        const address = isObject(child) ? str(child.address) : undefined;
        const step = address === undefined ? index : { field: 'address', value: address, index };
        this.module(child, [...at, 'child_modules', step]);
      });
    }
  }

  private resource(address: string, type: string, values: Record<string, unknown>, at: PathSegment[]): void {
    switch (type) {
      case 'aws_ecs_task_definition':
        this.taskDefinition(address, values, at);
        break;
      case 'aws_lambda_function': {
        const packageType = str(values.package_type) ?? 'Zip';
        if (packageType !== 'Image') return;
        const place = { path: [...at, 'image_uri'], name: address };
        if (values.image_uri === undefined || values.image_uri === null) this.missing(place, address, 'image_uri');
        else this.c.add(place, values.image_uri, lambdaTarget(values.architectures ?? undefined));
        break;
      }
      case 'aws_apprunner_service': {
        const source = block(values.source_configuration);
        const repository = block(source?.image_repository);
        const path = [...at, 'source_configuration', 0, 'image_repository', 0];
        if (repository === undefined) {
          if (source !== undefined && block(source.code_repository) !== undefined) {
            this.c.skip(
              { path: [...at, 'source_configuration', 0, 'code_repository', 0], name: address },
              'built by App Runner from a source code repository; no image',
            );
          } else
            this.missing({ path: [...at, 'source_configuration'], name: address }, address, 'source_configuration');
          return;
        }
        const place = { path, name: address };
        if (typeof repository.image_identifier !== 'string') this.missing(place, address, 'source_configuration');
        else this.c.add(place, repository.image_identifier, { spec: 'apprunner' });
        break;
      }
      case 'aws_batch_job_definition':
        this.batch(address, values, at);
        break;
    }
  }

  private taskDefinition(address: string, values: Record<string, unknown>, at: PathSegment[]): void {
    const place = { path: [...at, 'container_definitions'], name: address };
    const definitions = this.json(place, address, 'container_definitions', values.container_definitions);
    if (definitions === undefined) return;
    if (!Array.isArray(definitions)) {
      this.c.skip(place, 'container_definitions is not a JSON list');
      return;
    }
    const platform = block(values.runtime_platform) ?? {};
    const choice = runtimePlatformTarget(
      ecsTargetName(values.requires_compatibilities),
      str(platform.cpu_architecture),
      str(platform.operating_system_family),
    );
    definitions.forEach((container, i) => {
      const name = `${address}/${(isObject(container) ? str(container.name) : undefined) ?? `#${i}`}`;
      this.c.add(
        { path: [...at, 'container_definitions', i], name },
        isObject(container) ? container.image : undefined,
        choice,
      );
    });
  }

  private batch(address: string, values: Record<string, unknown>, at: PathSegment[]): void {
    const capabilities = values.platform_capabilities;
    const fargate =
      Array.isArray(capabilities) && capabilities.some((c) => typeof c === 'string' && c.toUpperCase() === 'FARGATE');
    const target = (platform: unknown): TargetChoice => {
      const p = isObject(platform) ? platform : {};
      const choice = runtimePlatformTarget('batch', p.cpuArchitecture, p.operatingSystemFamily);
      return 'reason' in choice || fargate || p.cpuArchitecture !== undefined
        ? choice
        : { ...choice, note: BATCH_EC2_NOTE };
    };

    if (values.container_properties !== undefined && values.container_properties !== null) {
      const place = { path: [...at, 'container_properties'], name: address };
      const props = this.json(place, address, 'container_properties', values.container_properties);
      if (isObject(props)) this.c.add(place, props.image, target(props.runtimePlatform));
    }
    if (values.ecs_properties !== undefined && values.ecs_properties !== null) {
      const place = { path: [...at, 'ecs_properties'], name: address };
      const props = this.json(place, address, 'ecs_properties', values.ecs_properties);
      const tasks = isObject(props) && Array.isArray(props.taskProperties) ? props.taskProperties : [];
      tasks.forEach((task, t) => {
        if (!isObject(task) || !Array.isArray(task.containers)) return;
        const choice = target(task.runtimePlatform);
        task.containers.forEach((container, i) => {
          if (!isObject(container)) return;
          const path = [...at, 'ecs_properties', 'taskProperties', t, 'containers', i];
          this.c.add({ path, name: `${address}/${str(container.name) ?? `#${i}`}` }, container.image, choice);
        });
      });
    }
    if (values.node_properties !== undefined && values.node_properties !== null) {
      const place = { path: [...at, 'node_properties'], name: address };
      const props = this.json(place, address, 'node_properties', values.node_properties);
      const ranges = isObject(props) && Array.isArray(props.nodeRangeProperties) ? props.nodeRangeProperties : [];
      ranges.forEach((range, r) => {
        if (!isObject(range) || !isObject(range.container)) return;
        const path = [...at, 'node_properties', 'nodeRangeProperties', r, 'container'];
        const name = `${address}/${str(range.targetNodes) ?? `#${r}`}`;
        this.c.add({ path, name }, range.container.image, target(range.container.runtimePlatform));
      });
    }
    const pod = block(block(values.eks_properties)?.pod_properties);
    if (pod !== undefined) {
      for (const field of ['init_containers', 'containers']) {
        const containers = Array.isArray(pod[field]) ? (pod[field] as unknown[]) : [];
        containers.forEach((container, i) => {
          if (!isObject(container)) return;
          const path = [...at, 'eks_properties', 0, 'pod_properties', 0, field, i];
          const name = `${address}/${str(container.name) ?? `#${i}`}`;
          this.c.add({ path, name }, container.image, this.options.eksTarget);
        });
      }
    }
  }
}

export function readTerraformPlan(plan: Record<string, unknown>, c: Collector, options: TerraformOptions): void {
  const key = isObject(plan.planned_values) ? 'planned_values' : isObject(plan.values) ? 'values' : undefined;
  if (key === undefined)
    throw invalidSpec(c.file, 'not a Terraform plan: no planned_values (use terraform show -json)');
  const root = (plan[key] as Record<string, unknown>).root_module;
  new PlanReader(plan, c, options).module(root, [key, 'root_module']);
}
