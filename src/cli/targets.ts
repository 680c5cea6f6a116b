// Target names on the command line → the rules check and copy apply.
import type { TargetRule } from '../check/verdict.js';
import { ArchfitError, quote } from '../errors.js';
import { parsePlatform } from '../platform/index.js';

export function resolveTargetRule(spec: string): TargetRule {
  if (spec.toLowerCase() === 'apprunner') {
    return { name: 'apprunner', title: 'App Runner', platforms: [parsePlatform('linux/amd64')], acceptsIndex: true };
  }
  throw new ArchfitError('UNKNOWN_TARGET', `unknown target ${quote(spec)}`);
}
