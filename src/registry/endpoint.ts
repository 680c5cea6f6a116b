// Which host a registry name is dialled at, and whether plain HTTP may be tried there. Docker Hub's name is not its
// API host; a `hosts` map (like curl --resolve) sends a registry name to another host:port; plain HTTP is allowed only
// for loopback hosts (as docker does) and for hosts the user named as insecure.
import { isIP } from 'node:net';
import { ArchfitError, quote } from '../errors.js';

/** Docker Hub's registry names, and the host its distribution API is served from. */
export const DOCKER_HUB_NAMES: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface HostPort {
  /** Lowercased host name or IP, IPv6 without brackets. */
  hostname: string;
  port?: number;
}

// A DNS name (labels of letters, digits, hyphens, underscores as some private registries use) or an IPv4 address,
// optionally with a port; or a bracketed IPv6 address with an optional port.
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

/** Parses "host", "host:port", "[v6]" or "[v6]:port"; throws INVALID_ARGUMENT quoting the input. */
export function parseHostPort(input: string): HostPort {
  const bad = (why: string) => new ArchfitError('INVALID_ARGUMENT', `invalid registry host ${quote(input)}: ${why}`);
  let hostname: string;
  let portText: string | undefined;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close === -1) throw bad('unclosed "["');
    hostname = input.slice(1, close);
    const rest = input.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw bad('unexpected text after "]"');
      portText = rest.slice(1);
    }
    if (isIP(hostname) !== 6) throw bad('not an IPv6 address inside "[ ]"');
  } else {
    const colon = input.lastIndexOf(':');
    if (colon !== -1) {
      if (input.indexOf(':') !== colon) throw bad('IPv6 addresses must be written in brackets');
      hostname = input.slice(0, colon);
      portText = input.slice(colon + 1);
    } else hostname = input;
    if (!HOST_NAME.test(hostname)) throw bad('not a host name');
  }
  const out: HostPort = { hostname: hostname.toLowerCase() };
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw bad(`port ${quote(portText)} is not a number from 1 to 65535`);
    }
    out.port = Number(portText);
  }
  return out;
}

export function formatHostPort(hp: HostPort): string {
  const host = hp.hostname.includes(':') ? `[${hp.hostname}]` : hp.hostname;
  return hp.port === undefined ? host : `${host}:${hp.port}`;
}

/** localhost, 127.0.0.0/8 and ::1 (also ::ffff:127.x): hosts docker allows plain HTTP to without being told. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === 'localhost.') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    if (h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

export interface EndpointOptions {
  /** Registry name → "host:port" actually dialled (like curl --resolve). */
  hosts?: Readonly<Record<string, string>>;
  /** Registries where plain HTTP may be used: "host:port" (that port) or "host" (any port). */
  insecureRegistries?: readonly string[];
}

export interface RegistryEndpoint {
  /** The registry name as the user wrote it (lowercased): what credentials are looked up by. */
  name: string;
  /** The host:port dialled, as it appears in URLs: "registry-1.docker.io", "127.0.0.1:5000". */
  host: string;
  /** May plain HTTP be tried when HTTPS fails at the connection level? */
  allowHttp: boolean;
}

/** Matches a host against the insecure list: exact host:port, or a bare host that matches any port. */
export function isInsecureHost(host: string, insecureRegistries: readonly string[] = []): boolean {
  let hp: HostPort;
  try {
    hp = parseHostPort(host);
  } catch {
    return false;
  }
  for (const entry of insecureRegistries) {
    let e: HostPort;
    try {
      e = parseHostPort(
        entry
          .trim()
          .replace(/^https?:\/\//i, '')
          .replace(/\/+$/, ''),
      );
    } catch {
      continue;
    }
    if (e.hostname === hp.hostname && (e.port === undefined || e.port === hp.port)) return true;
  }
  return false;
}

/** May plain HTTP (or an http token realm) be used with this host? Loopback, or named insecure. */
export function allowsPlainHttp(host: string, insecureRegistries: readonly string[] = []): boolean {
  try {
    if (isLoopbackHostname(parseHostPort(host).hostname)) return true;
  } catch {
    return false;
  }
  return isInsecureHost(host, insecureRegistries);
}

/** Resolves a registry name to the endpoint dialled. */
export function resolveEndpoint(registry: string, options: EndpointOptions = {}): RegistryEndpoint {
  const name = formatHostPort(parseHostPort(registry));
  const hosts = options.hosts ?? {};
  const mapped = Object.hasOwn(hosts, registry)
    ? hosts[registry]
    : Object.hasOwn(hosts, name)
      ? hosts[name]
      : undefined;
  let host: string;
  if (mapped !== undefined) {
    if (typeof mapped !== 'string') {
      throw new ArchfitError('INVALID_ARGUMENT', `the host override for ${quote(registry)} must be "host:port"`);
    }
    host = formatHostPort(parseHostPort(mapped));
  } else if (DOCKER_HUB_NAMES.includes(name)) {
    host = DOCKER_HUB_API_HOST;
  } else {
    host = name;
  }
  const insecure = options.insecureRegistries ?? [];
  const allowHttp = allowsPlainHttp(host, insecure) || (mapped === undefined && isInsecureHost(name, insecure));
  return { name, host, allowHttp };
}

/** ECR private registry hosts: "<account>.dkr.ecr.<region>.amazonaws.com" (and -fips, .cn). */
export function isEcrHost(name: string): boolean {
  return /^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?(:\d+)?$/i.test(name);
}

// distribution/reference: path components of lowercase alphanumerics joined by separators, joined by "/".
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks a repository name before it goes into a URL path; throws INVALID_REFERENCE quoting it. */
export function checkRepository(repository: string): string {
  if (
    repository.length === 0 ||
    repository.length > 255 ||
    !repository.split('/').every((c) => PATH_COMPONENT.test(c))
  ) {
    throw new ArchfitError(
      'INVALID_REFERENCE',
      `invalid repository name ${quote(repository)}: expected lowercase path components like "team/app"`,
    );
  }
  return repository;
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

export function checkTag(tag: string): string {
  if (!isTag(tag)) {
    throw new ArchfitError(
      'INVALID_REFERENCE',
      `invalid tag ${quote(tag)}: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
    );
  }
  return tag;
}
