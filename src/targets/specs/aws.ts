// The architecture settings AWS services share: ECS and Batch `runtimePlatform` (cpuArchitecture X86_64 | ARM64,
// operatingSystemFamily LINUX | WINDOWS_SERVER_*) and Lambda's `Architectures` (x86_64 | arm64, one of them).
import { WINDOWS_SERVER_BUILDS } from '../table.js';
import { describeValue, type TargetChoice } from './collect.js';

const CPU_OPTIONS = new Map([
  ['X86_64', 'x86_64'],
  ['ARM64', 'arm64'],
]);

/**
 * The target of an ECS task or a Batch job from its runtime platform; a missing CPU architecture is X86_64 (the
 * documented default) and a missing OS family is Linux. `name` is `ecs`, `ecs-fargate` or `batch`.
 */
export function runtimePlatformTarget(name: string, cpuArchitecture: unknown, osFamily: unknown): TargetChoice {
  if (cpuArchitecture !== undefined && typeof cpuArchitecture !== 'string') {
    return { reason: `cpuArchitecture is not a string: ${describeValue(cpuArchitecture)}` };
  }
  if (osFamily !== undefined && typeof osFamily !== 'string') {
    return { reason: `operatingSystemFamily is not a string: ${describeValue(osFamily)}` };
  }
  const cpu = cpuArchitecture?.toUpperCase();
  const os = osFamily?.toUpperCase();
  const cpuOption = cpu === undefined ? undefined : CPU_OPTIONS.get(cpu);
  if (cpu !== undefined && cpuOption === undefined) {
    return { reason: `unknown cpuArchitecture ${JSON.stringify(cpuArchitecture)}: expected X86_64 or ARM64` };
  }
  if (os === undefined || os === 'LINUX') {
    return { spec: cpuOption === undefined ? name : `${name}:${cpuOption}` };
  }
  const windows = WINDOWS_SERVER_BUILDS.find((w) => os === `${w.family}_CORE` || os === `${w.family}_FULL`);
  if (windows === undefined || name === 'batch') {
    return {
      reason: `unknown operatingSystemFamily ${JSON.stringify(osFamily)}: expected LINUX or a WINDOWS_SERVER_* value`,
    };
  }
  if (cpuOption === 'arm64') return { reason: `cpuArchitecture ARM64 is for Linux tasks, not ${osFamily}` };
  return { spec: `${name}:${windows.option}` };
}

/** The Lambda target from a function's `Architectures` (a list of one; x86_64 when left out). */
export function lambdaTarget(architectures: unknown): TargetChoice {
  if (architectures === undefined || architectures === null) return { spec: 'lambda' };
  if (!Array.isArray(architectures)) {
    return { reason: `Architectures is not a list: ${describeValue(architectures)}` };
  }
  if (architectures.length === 0) return { spec: 'lambda' };
  if (architectures.length > 1) {
    return { reason: `Architectures names ${architectures.length} architectures; a function has one` };
  }
  const [arch] = architectures;
  const option = typeof arch === 'string' ? arch.toLowerCase() : undefined;
  if (option !== 'x86_64' && option !== 'arm64') {
    return { reason: `unknown Lambda architecture ${describeValue(arch)}: expected x86_64 or arm64` };
  }
  return { spec: `lambda:${option}` };
}
