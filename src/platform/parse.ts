// The platform specifier, the string form users type and tables show (containerd's syntax):
//
//   specifier  := os-part | arch | os-part "/" arch [ "/" variant ]
//   os-part    := os [ "(" [ os-version ] { "+" os-feature } ")" ]
//   os         := [A-Za-z0-9_-]+
//   arch       := [A-Za-z0-9_.-]+            variant := [A-Za-z0-9_.-]+
//   os-version := [A-Za-z0-9_.%-]*           os-feature := [A-Za-z0-9_.%-]+
//
// An OS version or feature is percent-encoded, so any text fits: "windows(10.0.20348)/amd64",
// "linux(+gpu)/arm64/v8". A single component is an OS if it names one we know, otherwise an architecture; the other
// half comes from the host.
import { ArchfitError, quote } from '../errors.js';
import {
  isKnownArchitecture,
  isKnownOS,
  makePlatform,
  normalizeArchitecture,
  normalizeOS,
  normalizeOSFeatures,
  text,
} from './normalize.js';
import type { Platform } from './types.js';

const OS_NAME = '[A-Za-z0-9_-]+';
const OPTION_CHARS = '[A-Za-z0-9_.%-]';
const OS_PART = new RegExp(`^(${OS_NAME})(?:\\((${OPTION_CHARS}*)((?:\\+${OPTION_CHARS}+)*)\\))?$`);
const COMPONENT = /^[A-Za-z0-9_.-]+$/;
/** Characters an OS option keeps as they are; everything else is percent-encoded. */
const OPTION_SAFE = /^[A-Za-z0-9_.-]$/;
const UTF8 = new TextEncoder();

const DEFAULT_HOST: Platform = { os: 'linux', architecture: 'amd64' };

function invalid(spec: unknown, reason: string, cause?: unknown): ArchfitError {
  return new ArchfitError('INVALID_PLATFORM', `invalid platform ${quote(spec)}: ${reason}`, {
    cause,
    details: { input: spec },
  });
}

function decodeOption(spec: string, value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch (error) {
    throw invalid(spec, `${what} ${quote(value)} has a bad percent-encoding`, error);
  }
}

/**
 * Parses a platform specifier: `os`, `arch`, `os/arch`, `os/arch/variant`, with optional OS options such as
 * `windows(10.0.20348)/amd64` or `linux(+gpu)/amd64`. Names are normalised (`Linux/x86_64` → linux/amd64, `aarch64`
 * → arm64, `armel` → arm/v6, `macos` → darwin). As in containerd, the v7 of a two-component `os/arm` is left
 * implicit and `os/arm64/v8` keeps its v8, so the result formats back to what was meant.
 *
 * A single component takes the missing half from `host` (default linux/amd64): a known OS takes the host's
 * architecture (and, on arm, its variant), a known architecture takes the host's OS.
 *
 * @throws ArchfitError INVALID_PLATFORM, quoting the input.
 */
export function parsePlatform(spec: string, host: Platform = DEFAULT_HOST): Platform {
  if (typeof spec !== 'string') throw invalid(spec, 'not a string');
  if (spec === '') throw invalid(spec, 'empty');
  if (spec.includes('*')) throw invalid(spec, 'wildcards are not supported');
  const parts = spec.split('/');
  if (parts.length > 3) throw invalid(spec, 'too many components');

  const [osPart = '', ...rest] = parts;
  const os = OS_PART.exec(osPart);
  if (!os) {
    throw invalid(
      spec,
      osPart === ''
        ? 'empty OS component'
        : `${quote(osPart)} is not an OS component (letters, digits, "_" and "-", then optionally "(version+feature…)")`,
    );
  }
  for (const part of rest) {
    if (!COMPONENT.test(part)) {
      throw invalid(
        spec,
        part === '' ? 'empty component' : `${quote(part)} may only contain letters, digits, "_", "." and "-"`,
      );
    }
  }

  const osName = normalizeOS(os[1] ?? '');
  const osVersion = decodeOption(spec, os[2] ?? '', 'OS version');
  const rawFeatures = os[3] ? os[3].slice(1).split('+') : [];
  const osFeatures = normalizeOSFeatures(rawFeatures.map((f) => decodeOption(spec, f, 'OS feature')));

  const [archPart, variantPart] = rest;
  if (archPart === undefined) {
    if (isKnownOS(osName)) {
      const hostArch = normalizeArchitecture(text(host.architecture) || 'amd64', text(host.variant));
      const variant = hostArch.architecture === 'arm' && hostArch.variant !== 'v7' ? hostArch.variant : '';
      return makePlatform(osName, hostArch.architecture, variant, osVersion, osFeatures);
    }
    const arch = normalizeArchitecture(osPart);
    if (isKnownArchitecture(arch.architecture)) {
      const variant = arch.architecture === 'arm' && arch.variant === 'v7' ? '' : arch.variant;
      return makePlatform(normalizeOS(text(host.os)) || 'linux', arch.architecture, variant);
    }
    throw invalid(spec, 'unknown operating system or architecture');
  }
  if (variantPart === undefined) {
    const arch = normalizeArchitecture(archPart);
    const variant = arch.architecture === 'arm' && arch.variant === 'v7' ? '' : arch.variant;
    return makePlatform(osName, arch.architecture, variant, osVersion, osFeatures);
  }
  const arch = normalizeArchitecture(archPart, variantPart);
  const variant = arch.architecture === 'arm64' && arch.variant === '' ? 'v8' : arch.variant;
  return makePlatform(osName, arch.architecture, variant, osVersion, osFeatures);
}

function encodeOption(value: string): string {
  let out = '';
  for (const ch of value) {
    if (OPTION_SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of UTF8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface FormatOptions {
  /** Include the OS version and OS features, as in `windows(10.0.20348)/amd64` (default true). */
  osOptions?: boolean;
}

/**
 * The specifier of a platform, as given (it does not normalise): "linux/arm64/v8", "linux/arm/v7", "windows/amd64",
 * "windows(10.0.20348+win32k)/amd64". A platform without an OS formats as "unknown". OS options are
 * percent-encoded so the result parses back to the same platform.
 */
export function formatPlatform(p: Platform, options: FormatOptions = {}): string {
  const os = text(p.os);
  if (os === '') return 'unknown';
  let osPart = os;
  if (options.osOptions !== false) {
    const version = encodeOption(text(p.osVersion));
    const features = (normalizeOSFeatures(p.osFeatures) ?? []).map(encodeOption);
    if (version !== '' || features.length > 0) {
      osPart += `(${version}${features.map((f) => `+${f}`).join('')})`;
    }
  }
  return [osPart, text(p.architecture), text(p.variant)].filter((s) => s !== '').join('/');
}
