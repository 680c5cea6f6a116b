// readSpec: which kind of deployment spec a file is (or the caller says), read with the YAML semantics of the tool
// that reads it, then the workloads it deploys and the targets they must run on.
import { ArchfitError, quote } from '../../errors.js';
import { resolveTarget } from '../resolve.js';
import type { ReadSpecOptions, ReadSpecResult, SpecType } from '../types.js';
import { isAppRunnerService, readAppRunnerService } from './apprunner.js';
import { isCloudFormationTemplate, readCloudFormation } from './cloudformation.js';
import { Collector, isObject, type TargetChoice } from './collect.js';
import { isComposeFile, readCompose } from './compose.js';
import { isEcsTaskDefinition, readEcsTaskDefinition } from './ecs.js';
import { isKubernetesObject, readKubernetes } from './kubernetes.js';
import { isLambdaFunction, readLambdaFunction } from './lambda.js';
import { invalidSpec, type ParsedText, parseText, type YamlVersion } from './parse-text.js';
import { isTerraformPlan, readTerraformPlan } from './terraform.js';

/** The kinds of spec, in the order detection tries them, with what each is and the YAML it is read with. */
export const SPEC_TYPES: readonly { type: SpecType; title: string; yaml: YamlVersion }[] = [
  {
    type: 'ecs-task-definition',
    title: 'ECS task definition (describe-task-definition output or register input)',
    yaml: '1.1',
  },
  { type: 'apprunner', title: 'App Runner service (create-service input or describe-service output)', yaml: '1.1' },
  { type: 'lambda', title: 'Lambda function (get-function output or create-function input)', yaml: '1.1' },
  { type: 'cloudformation', title: 'CloudFormation template (JSON or YAML)', yaml: '1.1' },
  { type: 'terraform-plan', title: 'Terraform plan (terraform show -json)', yaml: '1.1' },
  { type: 'kubernetes', title: 'Kubernetes manifests', yaml: '1.1' },
  { type: 'compose', title: 'Docker Compose file', yaml: '1.2' },
];

const DETECT: readonly [SpecType, (value: Record<string, unknown>) => boolean][] = [
  ['terraform-plan', isTerraformPlan],
  ['cloudformation', isCloudFormationTemplate],
  ['kubernetes', isKubernetesObject],
  ['ecs-task-definition', isEcsTaskDefinition],
  ['apprunner', isAppRunnerService],
  ['lambda', isLambdaFunction],
  ['compose', isComposeFile],
];

const DEFAULT_NODE_ARCH = ['amd64'];

function detect(value: unknown): SpecType | undefined {
  if (!isObject(value)) return undefined;
  return DETECT.find(([, test]) => test(value))?.[0];
}

function firstDocument(text: ParsedText): unknown {
  return text.documents.find((d) => d !== null && d !== undefined);
}

function describeTopLevel(value: unknown): string {
  if (!isObject(value)) return Array.isArray(value) ? 'a list' : `a ${value === null ? 'null' : typeof value}`;
  const keys = Object.keys(value);
  if (keys.length === 0) return 'an empty mapping';
  const shown = keys.slice(0, 6).join(', ');
  return `a mapping with ${shown}${keys.length > 6 ? ', …' : ''}`;
}

/** Validates nodeArch and returns the architectures in canonical form. */
function nodeArchitectures(nodeArch: readonly string[] | undefined): string[] {
  if (nodeArch === undefined) return DEFAULT_NODE_ARCH;
  if (!Array.isArray(nodeArch) || nodeArch.length === 0) {
    throw new ArchfitError('INVALID_ARGUMENT', 'invalid nodeArch: give at least one node architecture', {
      details: { input: nodeArch },
    });
  }
  try {
    const option = resolveTarget(`k8s:${nodeArch.join(',')}`).option ?? '';
    return option.split(',');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ArchfitError('INVALID_ARGUMENT', `invalid nodeArch ${quote(nodeArch.join(','))}: ${message}`, {
      cause: error,
      details: { input: nodeArch },
    });
  }
}

/**
 * Reads a deployment spec and lists the images it deploys with the target each must run on, and the entries it
 * cannot check from the file alone (an image CloudFormation resolves at deploy time, a Compose service that is only
 * built). The kind is detected from the content unless `type` is given.
 *
 * @throws ArchfitError INVALID_SPEC for a file that cannot be read or is no kind of spec archfit knows (one line,
 *   naming the file), INVALID_ARGUMENT for a bad option.
 */
export function readSpec(text: string | Uint8Array, options: ReadSpecOptions): ReadSpecResult {
  if (!isObject(options) || typeof options.file !== 'string') {
    throw new ArchfitError('INVALID_ARGUMENT', 'readSpec needs options.file, the name of the spec file');
  }
  const { file } = options;
  if (options.type !== undefined && !SPEC_TYPES.some((s) => s.type === options.type)) {
    throw new ArchfitError(
      'INVALID_ARGUMENT',
      `unknown spec type ${quote(options.type)}: expected one of ${SPEC_TYPES.map((s) => s.type).join(', ')}`,
      { details: { input: options.type } },
    );
  }
  const nodeArch = nodeArchitectures(options.nodeArch);
  const source = typeof text === 'string' ? text : new TextDecoder('utf-8').decode(text);

  // Detection reads YAML as 1.2 (the keys it looks at read the same either way); Kubernetes and CloudFormation are
  // then read as 1.1, as their own tools do.
  let parsed = parseText(source, file, options.type === undefined ? '1.2' : yamlVersion(options.type));
  let type = options.type;
  if (type === undefined) {
    const first = firstDocument(parsed);
    type = detect(first);
    if (type === undefined) {
      throw invalidSpec(
        file,
        `not a deployment spec archfit reads (found ${describeTopLevel(first)}): expected an ECS task definition, ` +
          'an App Runner service, a Lambda function, a CloudFormation template, a Terraform plan ' +
          '(terraform show -json), Kubernetes manifests or a Compose file',
      );
    }
    if (parsed.format === 'yaml' && yamlVersion(type) !== '1.2') parsed = parseText(source, file, yamlVersion(type));
  }

  const documents = parsed.documents.filter((d) => d !== null && d !== undefined);
  if (type !== 'kubernetes' && documents.length > 1) {
    throw invalidSpec(file, `holds ${documents.length} YAML documents; only Kubernetes manifests may hold several`);
  }
  const c = new Collector(file, parsed);
  const value = firstDocument(parsed);
  const eksTarget: TargetChoice = {
    spec: `k8s:${nodeArch.join(',')}`,
    note: `a Batch job on EKS runs on the cluster's nodes: ${nodeArch.join(', ')}`,
  };
  if (type === 'kubernetes') {
    readKubernetes(parsed.documents, c, { nodeArch, defaultNodeArch: options.nodeArch === undefined });
  } else if (!isObject(value)) {
    throw invalidSpec(file, `expected a mapping at the top level, found ${describeTopLevel(value)}`);
  } else {
    switch (type) {
      case 'ecs-task-definition':
        readEcsTaskDefinition(value, c);
        break;
      case 'apprunner':
        readAppRunnerService(value, c);
        break;
      case 'lambda':
        readLambdaFunction(value, c);
        break;
      case 'cloudformation': {
        const cfn = { eksTarget, parameters: options.parameters, pseudoParameters: options.pseudoParameters };
        readCloudFormation(value, c, cfn);
        break;
      }
      case 'terraform-plan':
        readTerraformPlan(value, c, { eksTarget });
        break;
      case 'compose':
        readCompose(value, c);
        break;
    }
  }
  return { type, workloads: c.workloads, skipped: c.skipped };
}

function yamlVersion(type: SpecType): YamlVersion {
  return SPEC_TYPES.find((s) => s.type === type)?.yaml ?? '1.1';
}
