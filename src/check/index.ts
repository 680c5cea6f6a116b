export { addConfigPlatform, FactCache, gatherFacts } from './gather.js';
export { toRule } from './rule.js';
export {
  type CheckItem,
  type CheckResult,
  type CheckResultEntry,
  type CheckSource,
  type DeepAnalyzer,
  type RunChecksOptions,
  runChecks,
} from './run.js';
export {
  type EntryFacts,
  type ImageFacts,
  judge,
  type Reason,
  type ReasonCode,
  type TargetRule,
  type Verdict,
  type VerdictOptions,
} from './verdict.js';
