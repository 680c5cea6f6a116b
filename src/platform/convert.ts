// Conversions at the edges: the OCI JSON field names, and Node's names for the machine (which the CLI reads and
// passes in; this module never looks at the host itself).
import { makePlatform, normalizeArchitecture, normalizeOS, text } from './normalize.js';
import type { Platform, SpecPlatform } from './types.js';

/** From the OCI JSON form (`os.version`, `os.features`); values are kept as they are, empty ones left out. */
export function fromSpecPlatform(spec: SpecPlatform): Platform {
  const features = Array.isArray(spec['os.features'])
    ? spec['os.features'].filter((f): f is string => typeof f === 'string')
    : undefined;
  return makePlatform(text(spec.os), text(spec.architecture), text(spec.variant), text(spec['os.version']), features);
}

/** To the OCI JSON form, leaving out the empty optional fields. */
export function toSpecPlatform(p: Platform): SpecPlatform {
  const spec: SpecPlatform = { architecture: text(p.architecture), os: text(p.os) };
  if (p.variant) spec.variant = p.variant;
  if (p.osVersion) spec['os.version'] = p.osVersion;
  if (p.osFeatures && p.osFeatures.length > 0) spec['os.features'] = [...p.osFeatures];
  return spec;
}

/** Node's `process.platform` names that differ from Go's. */
const NODE_OS = new Map([
  ['win32', 'windows'],
  ['sunos', 'solaris'],
  ['cygwin', 'windows'],
]);

/** Node's `process.arch` names that differ from Go's (ppc64 depends on the byte order, see below). */
const NODE_ARCHITECTURE = new Map([
  ['x64', 'amd64'],
  ['ia32', '386'],
  ['mipsel', 'mipsle'],
]);

export interface NodeMachine {
  /** `process.platform`. */
  platform: string;
  /** `process.arch`. */
  arch: string;
  /** `os.endianness()`: Node calls both ppc64 and ppc64le "ppc64". Default little-endian. */
  endianness?: 'BE' | 'LE';
  /** The arm version (`process.config.variables.arm_version`, e.g. "7"); only used when arch is "arm". */
  armVersion?: string | number;
  /** The OS version, e.g. `os.release()` on Windows ("10.0.20348"). */
  osVersion?: string;
}

/** The platform of the machine Node describes, normalised: { platform: 'linux', arch: 'x64' } → linux/amd64. */
export function platformFromNode(machine: NodeMachine): Platform {
  const nodeOS = text(machine.platform).toLowerCase();
  const nodeArch = text(machine.arch).toLowerCase();
  let architecture = NODE_ARCHITECTURE.get(nodeArch) ?? nodeArch;
  if (nodeArch === 'ppc64' && machine.endianness !== 'BE') architecture = 'ppc64le';
  const armVersion = machine.armVersion === undefined ? '' : String(machine.armVersion);
  const arch = normalizeArchitecture(architecture, architecture === 'arm' ? armVersion : '');
  return makePlatform(normalizeOS(NODE_OS.get(nodeOS) ?? nodeOS), arch.architecture, arch.variant, machine.osVersion);
}
