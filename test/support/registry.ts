// Starts Debian's `docker-registry` (the CNCF distribution registry, v2.8) on a free 127.0.0.1 port with its own
// temp storage, for tests. Modes: anonymous, htpasswd (Basic), bearer token (through ./token-server.ts), each with
// or without TLS (a CA made at test time). Several can run at once. The process is killed by its own pid on
// `stop()`, and at the latest when the test process exits.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, type Dispatcher, fetch, type RequestInit, type Response } from 'undici';
import { stringify } from 'yaml';
import { type AfterHookHost, makeTempDir, registerCleanup, removeTempDir, trackChild } from './cleanup.js';
import { makeServerCertificates } from './tls.js';
import { startTokenServer, type TokenServer, type TokenServerOptions } from './token-server.js';

const execFileAsync = promisify(execFile);

export type RegistryAuthMode = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  /** Default 'none' (anonymous pull and push). */
  auth?: RegistryAuthMode;
  /** Serve HTTPS with a certificate from a CA made for this registry (`caFile`, `certDir`). */
  tls?: boolean;
  /** Account for htpasswd and token modes. Defaults: `archfit` / `archfit-test-password`. */
  username?: string;
  password?: string;
  /**
   * Token mode: options for a token server started (and stopped) with this registry (its username/password default
   * to the registry's), or an already running token server (not stopped with the registry).
   */
  token?: TokenServerOptions | TokenServer;
  /** Allow DELETE of manifests and blobs (default true). */
  deleteEnabled?: boolean;
  /** Extra top-level sections set over the generated config.yml (shallow: a given section replaces ours). */
  extraConfig?: Record<string, unknown>;
  /** How long to wait for `/v2/` to answer. Default 15 s. */
  startTimeoutMs?: number;
}

/** One line of the registry's access log (combined log format). */
export interface AccessLogEntry {
  method: string;
  /** Path and query as requested, e.g. `/v2/foo/blobs/uploads/`. */
  path: string;
  status: number;
  bytes: number;
  userAgent: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  port: number;
  scheme: 'http' | 'https';
  auth: RegistryAuthMode;
  /** The filesystem storage root (registry/docker/registry/v2/… inside). */
  storageDir: string;
  configFile: string;
  /** TLS only: PEM of the CA to trust, and a dir holding just `ca.crt` (skopeo's --cert-dir). */
  caFile?: string;
  certDir?: string;
  /** htpasswd and token modes: the account that is accepted. */
  username?: string;
  password?: string;
  /** Token mode: the token server the registry trusts. */
  tokenServer?: TokenServer;
  /** An undici dispatcher that trusts this registry's CA (plain Agent for HTTP). Closed by stop(). */
  dispatcher: Dispatcher;
  /** Unauthenticated request to this registry (`path` like `/v2/`), through `dispatcher`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * The access log so far, complete up to this call: a marker request is sent and awaited so lines still in flight
   * are in. Marker requests are left out.
   */
  requests(): Promise<AccessLogEntry[]>;
  /** Forgets the access log so far. */
  resetRequests(): void;
  /** Everything the registry wrote (stderr JSON log and access log), for failure messages. */
  logs(): string;
  pid: number;
  stop(): Promise<void>;
}

export const DEFAULT_USERNAME = 'archfit';
export const DEFAULT_PASSWORD = 'archfit-test-password';

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function bcryptLine(username: string, password: string): Promise<string> {
  // distribution accepts only bcrypt entries; htpasswd (apache2-utils) makes them.
  const { stdout } = await execFileAsync('htpasswd', ['-nbB', '-C', '5', username, password]);
  return stdout.trim();
}

const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"/;
const MARKER = 'archfit_log_marker';

function isTokenServer(t: TokenServerOptions | TokenServer | undefined): t is TokenServer {
  return t !== undefined && typeof (t as TokenServer).realm === 'string';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const dir = makeTempDir('registry');
  const storageDir = join(dir, 'storage');
  const configFile = join(dir, 'config.yml');
  const username = auth === 'none' ? undefined : (options.username ?? DEFAULT_USERNAME);
  const password = auth === 'none' ? undefined : (options.password ?? DEFAULT_PASSWORD);
  let tokenServer: TokenServer | undefined;
  let ownsTokenServer = false;
  let dispatcher: Agent | undefined;
  let child: ChildProcess | undefined;

  try {
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: 'info', formatter: 'json' },
      storage: {
        filesystem: { rootdirectory: storageDir },
        delete: { enabled: options.deleteEnabled ?? true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: '', secret: `archfit-test-${process.pid}-${Date.now()}` },
    };

    if (auth === 'htpasswd') {
      const file = join(dir, 'htpasswd');
      writeFileSync(file, `${await bcryptLine(username!, password!)}\n`);
      config['auth'] = { htpasswd: { realm: 'archfit-test-registry', path: file } };
    } else if (auth === 'token') {
      if (isTokenServer(options.token)) tokenServer = options.token;
      else {
        tokenServer = await startTokenServer({ username, password, ...(options.token ?? {}) });
        ownsTokenServer = true;
      }
      config['auth'] = {
        token: {
          realm: tokenServer.realm,
          service: tokenServer.service,
          issuer: tokenServer.issuer,
          rootcertbundle: tokenServer.certFile,
        },
      };
    }

    let caFile: string | undefined;
    let certDir: string | undefined;
    let ca: string | undefined;
    if (options.tls) {
      const certs = await makeServerCertificates(join(dir, 'tls'));
      caFile = certs.caFile;
      certDir = certs.certDir;
      (config['http'] as Record<string, unknown>)['tls'] = { certificate: certs.certFile, key: certs.keyFile };
      ca = readFileSync(caFile, 'utf8');
    }
    Object.assign(config, options.extraConfig ?? {});
    const scheme = options.tls ? 'https' : 'http';
    dispatcher = new Agent(ca ? { connect: { ca } } : {});
    const agent = dispatcher;

    // The port is free when picked but could be taken before the registry binds it: retry with another one.
    let port = 0;
    let output = '';
    let accessLog: AccessLogEntry[] = [];
    for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
      port = await freePort();
      (config['http'] as Record<string, unknown>)['addr'] = `127.0.0.1:${port}`;
      writeFileSync(configFile, stringify(config));
      output = '';
      accessLog = [];
      let partial = '';
      const c = spawn('docker-registry', ['serve', configFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir },
      });
      trackChild(c);
      c.stdout?.setEncoding('utf8');
      c.stderr?.setEncoding('utf8');
      const keep = (chunk: string) => {
        output += chunk;
        if (output.length > 4_000_000) output = output.slice(-2_000_000); // the tail is what explains a failure
      };
      c.stdout?.on('data', (chunk: string) => {
        keep(chunk);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const m = ACCESS_LINE.exec(line);
          if (m) {
            accessLog.push({
              method: m[1]!,
              path: m[2]!,
              status: Number(m[3]),
              bytes: m[4] === '-' ? 0 : Number(m[4]),
              userAgent: m[5]!,
            });
          }
        }
      });
      c.stderr?.on('data', keep);
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
      let ready = false;
      let gone = false;
      void exited.then(() => {
        gone = true;
      });
      while (!ready && !gone && Date.now() < deadline) {
        try {
          const res = await fetch(`${scheme}://127.0.0.1:${port}/v2/`, {
            dispatcher: agent,
            signal: AbortSignal.timeout(2000),
          });
          await res.body?.cancel();
          ready = true;
        } catch {
          await sleep(25);
        }
      }
      if (ready) {
        child = c;
        break;
      }
      if (!gone) {
        c.kill('SIGKILL');
        await exited;
        throw new Error(`test harness: docker-registry did not answer /v2/ in time; output:\n${output}`);
      }
      await exited;
      if (!/address already in use/i.test(output)) {
        throw new Error(`test harness: docker-registry exited (code ${c.exitCode}); output:\n${output}`);
      }
    }
    if (!child) throw new Error(`test harness: docker-registry could not bind a free port; output:\n${output}`);

    const url = `${scheme}://127.0.0.1:${port}`;
    const running = child;
    const exitedPromise = new Promise<void>((resolve) => {
      if (running.exitCode !== null || running.signalCode !== null) resolve();
      else running.once('exit', () => resolve());
    });
    let markers = 0;
    let stopped = false;
    const registry: TestRegistry = {
      host: `127.0.0.1:${port}`,
      url,
      port,
      scheme,
      auth,
      storageDir,
      configFile,
      ...(caFile ? { caFile, certDir } : {}),
      ...(username !== undefined ? { username, password } : {}),
      ...(tokenServer ? { tokenServer } : {}),
      dispatcher: agent,
      pid: running.pid!,
      fetch: (path, init = {}) => fetch(`${url}${path}`, { ...init, dispatcher: agent }),
      async requests() {
        const n = ++markers;
        const res = await fetch(`${url}/v2/?${MARKER}=${n}`, { dispatcher: agent });
        await res.body?.cancel();
        const deadline = Date.now() + 5000;
        while (!accessLog.some((e) => e.path.endsWith(`${MARKER}=${n}`)) && Date.now() < deadline) await sleep(5);
        return accessLog.filter((e) => !e.path.includes(MARKER));
      },
      resetRequests() {
        accessLog.length = 0;
      },
      logs: () => output,
      async stop() {
        if (stopped) return;
        stopped = true;
        if (running.exitCode === null && running.signalCode === null) {
          running.kill('SIGTERM');
          const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
          await exitedPromise;
          clearTimeout(timer);
        }
        await agent.close().catch(() => undefined);
        if (ownsTokenServer) await tokenServer?.stop();
        removeTempDir(dir);
      },
    };
    // The readiness probes are not the test's requests: wait for their log lines, then forget them.
    await registry.requests();
    registry.resetRequests();
    return registry;
  } catch (e) {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dispatcher?.close().catch(() => undefined);
    if (ownsTokenServer) await tokenServer?.stop();
    removeTempDir(dir);
    throw e;
  }
}

/**
 * Starts a registry and registers its `stop()` to run after the given test (`t.after`), or after the current
 * suite/file (node:test `after`) when no context is given.
 */
export async function useRegistry(options: RegistryOptions = {}, t?: AfterHookHost): Promise<TestRegistry> {
  const registry = await startRegistry(options);
  registerCleanup(() => registry.stop(), t);
  return registry;
}
