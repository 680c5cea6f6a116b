// The shapes of deployment targets (where an image will run) and of what the deployment-spec readers find.
import type { Platform } from '../platform/index.js';

/**
 * Where a target's rule comes from: `documented` (the vendor's own documentation or API reference), `reported`
 * (issue threads, maintainers' statements, field reports), or `given` (a platform the user or a spec file named).
 */
export type SourceKind = 'documented' | 'reported' | 'given';

export interface TargetSource {
  kind: SourceKind;
  /** The page or issue the rule comes from. */
  url?: string;
  /** What the source says, briefly. */
  note: string;
  /** Further pages or issues that support or qualify the rule. */
  also?: readonly string[];
}

/** A variant of a target chosen with `name:option`, such as `ecs:arm64`. */
export interface TargetOption {
  /** The canonical option name, lower case (`x86_64`, `arm64`, `windows-2022`). */
  name: string;
  /** Other spellings accepted for it (`amd64` for `x86_64`, `aarch64` for `arm64`). */
  aliases: readonly string[];
  /** The platforms the workload runs on with this option; an image must be runnable on each. */
  platforms: readonly Platform[];
  /** What the option means, for listings. */
  description: string;
}

/** A deployment target as listed (`listTargets`): the table's data. */
export interface TargetInfo {
  /** The canonical name, lower case (`ecs-fargate`). */
  name: string;
  /** Other names accepted for it (`fargate`). */
  aliases: readonly string[];
  /** The product's name (`AWS App Runner`). */
  title: string;
  /** How to write it: `lambda[:x86_64|arm64]`, `k8s:<arch>[,<arch>…]`. */
  usage: string;
  /**
   * The platforms of the unqualified target (its default option); empty for targets that need an option
   * (`k8s`, `platform`).
   */
  platforms: readonly Platform[];
  /** False when the target runs only a single image manifest and rejects an index (Lambda). */
  acceptsIndex: boolean;
  /** Platforms an index must list for the target to pull it (Cloud Run: linux/amd64). */
  requiresInIndex: readonly Platform[];
  /** The manifest media types the target accepts, or undefined for any. */
  mediaTypes: readonly string[] | undefined;
  /** The option that applies when none is given, or undefined. */
  default: string | undefined;
  /** The options (`ecs:arm64`); empty for targets without options or with free-form ones (`k8s`, `platform`). */
  options: readonly TargetOption[];
  source: TargetSource;
}

/** A target spec resolved to what an image must satisfy. */
export interface ResolvedTarget {
  /** The canonical target name (`ecs-fargate`, `k8s`, `platform`). */
  name: string;
  /** The spec in canonical form (`ecs:arm64`, `k8s:amd64,arm64`, `platform:linux/arm64`); resolves to the same. */
  spec: string;
  title: string;
  /** The canonical option given, or undefined when the target was named alone. */
  option: string | undefined;
  /** Each of these platforms must be able to run the image (compatible matching). */
  platforms: Platform[];
  acceptsIndex: boolean;
  requiresInIndex: Platform[];
  mediaTypes: readonly string[] | undefined;
  source: TargetSource;
}

/** The kinds of deployment spec `readSpec` reads. */
export type SpecType =
  | 'ecs-task-definition'
  | 'apprunner'
  | 'lambda'
  | 'cloudformation'
  | 'terraform-plan'
  | 'kubernetes'
  | 'compose';

/** Where in a spec file a workload or a skipped entry is. */
export interface SpecSource {
  /** The file name, as the caller gave it. */
  file: string;
  /**
   * The path to the entry inside its document: `Resources.Api.Properties.ContainerDefinitions[0]`,
   * `spec.template.spec.containers[1]`, `services.web`.
   */
  path: string;
  /** The workload and container names as the spec gives them: `Api/sidecar`, `Deployment/api/init`. */
  name: string;
  /** The index (0-based) of the YAML document holding the entry, when the file holds several documents. */
  document?: number;
  /** The line (1-based) the entry starts on, when the file was read as YAML. */
  line?: number;
}

/** An image a spec deploys, and the target it must run on. */
export interface Workload {
  image: string;
  target: ResolvedTarget;
  source: SpecSource;
  /** An assumption made in choosing the target (a default the spec left implicit). */
  note?: string;
}

/** An entry of a spec that names a workload archfit cannot check from the file alone. */
export interface SkippedEntry {
  /** Why, in one line. */
  reason: string;
  source: SpecSource;
  /** The image, when it is known but its target is not. */
  image?: string;
}

export interface ReadSpecOptions {
  /** The file name, used in messages and in each entry's source. */
  file: string;
  /** The kind of spec; detected from the content when left out. */
  type?: SpecType;
  /**
   * The node architectures of the Kubernetes cluster (`kubernetes.io/arch` values) for pods that do not choose
   * one; default ['amd64'].
   */
  nodeArch?: readonly string[];
  /** CloudFormation parameter values, overriding the template's Default values. */
  parameters?: Readonly<Record<string, string>>;
  /**
   * CloudFormation pseudo-parameters (`AWS::AccountId`, `AWS::Region`, …). `AWS::Partition` and `AWS::URLSuffix`
   * are derived from `AWS::Region` when it is given and they are not.
   */
  pseudoParameters?: Readonly<Record<string, string>>;
}

export interface ReadSpecResult {
  /** The kind of spec read (as given or detected). */
  type: SpecType;
  workloads: Workload[];
  skipped: SkippedEntry[];
}
