import type { ResolvedTarget } from '../targets/index.js';
import type { TargetRule } from './verdict.js';

/** What a check applies of a resolved target; `generic` (a bare platform) makes verdicts that name no target. */
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
