// Deployment targets as data (what each runs and accepts, with sources), target specs, and the readers of
// deployment specs (ECS, App Runner, Lambda, CloudFormation, Terraform plan, Kubernetes, Compose).
export { renderTargetsMarkdown } from './doc.js';
export { listTargets, platformTarget, resolveTarget } from './resolve.js';
export { readSpec, SPEC_TYPES } from './specs/read-spec.js';
export type {
  ReadSpecOptions,
  ReadSpecResult,
  ResolvedTarget,
  SkippedEntry,
  SourceKind,
  SpecSource,
  SpecType,
  TargetInfo,
  TargetOption,
  TargetSource,
  Workload,
} from './types.js';
