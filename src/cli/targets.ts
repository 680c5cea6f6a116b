// Target names on the command line → the rules check and copy apply.
import { type TargetRule, toRule } from '../check/index.js';
import { platformTarget, resolveTarget } from '../targets/index.js';

export function resolveTargetRule(spec: string): TargetRule {
  return toRule(resolveTarget(spec));
}

/** A bare `--platform P`: the generic target (its verdicts name no target). */
export function platformRule(platform: string): TargetRule {
  return toRule(platformTarget(platform), true);
}
