// Target names on the command line → the rules check and copy apply.
import type { TargetRule } from '../check/index.js';
import { platformTarget, type ResolvedTarget, resolveTarget } from '../targets/index.js';

export function toRule(target: ResolvedTarget, generic = false): TargetRule {
  return {
    name: generic ? null : target.spec,
    title: target.title,
    platforms: target.platforms,
    acceptsIndex: target.acceptsIndex,
    requiresInIndex: target.requiresInIndex,
    ...(target.mediaTypes ? { mediaTypes: target.mediaTypes } : {}),
  };
}

export function resolveTargetRule(spec: string): TargetRule {
  return toRule(resolveTarget(spec));
}

/** A bare `--platform P`: the generic target (its verdicts name no target). */
export function platformRule(platform: string): TargetRule {
  return toRule(platformTarget(platform), true);
}
