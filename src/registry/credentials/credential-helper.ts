// docker's credential helper protocol: run `docker-credential-<name> get`, write the server URL on stdin, read
// {"ServerURL","Username","Secret"} from stdout. Username "<token>" means Secret is an identity (refresh) token; a
// failure whose output says "credentials not found" means there is nothing stored for that server. A helper's
// output can hold the secret, so no message ever quotes it: only the helper's name and its exit status.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ArchfitError, isArchfitError, quote } from '../../errors.js';
import type { Credential } from '../credential-types.js';
import { timedSignal } from './abort.js';
import type { EnvVars } from './types.js';

export interface HelperRequest {
  /** The program, e.g. "docker-credential-pass": a name to look up on `env.PATH`, never a path. */
  program: string;
  args: readonly string[];
  /** Written to the program's stdin, which is then closed. */
  input: string;
  /** The whole environment of the program (PATH included). */
  env: EnvVars;
  /** Aborts when the caller gives up or the time limit passes; the process must be killed then. */
  signal: AbortSignal;
}

export interface HelperResult {
  /** null when the process was killed by a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a credential helper program. The default, spawnHelper, spawns it; a replacement can run it some other way.
 * A program that cannot be found should be reported as an ArchfitError with code CREDENTIAL_HELPER.
 */
export type RunHelper = (request: HelperRequest) => Promise<HelperResult>;

export const DEFAULT_HELPER_TIMEOUT_MS = 30_000;
const OUTPUT_LIMIT = 1024 * 1024;

/** The executable file `program` names on `path` (a PATH value), or undefined. Relative PATH entries are skipped. */
export async function findOnPath(program: string, path: string | undefined): Promise<string | undefined> {
  for (const dir of (path ?? '').split(delimiter)) {
    // A relative entry (or an empty one, which means the current directory) would run whatever lies there.
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, program);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

function processEnv(env: EnvVars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

/** The default RunHelper: finds the program on the request's PATH and spawns it (no shell). */
export async function spawnHelper(request: HelperRequest): Promise<HelperResult> {
  const { program, signal } = request;
  signal.throwIfAborted();
  const file = await findOnPath(program, request.env['PATH']);
  if (file === undefined) {
    throw new ArchfitError('CREDENTIAL_HELPER', `credential helper ${quote(program)} was not found on PATH`, {
      details: { helper: program },
    });
  }
  signal.throwIfAborted();
  return new Promise<HelperResult>((resolve, reject) => {
    const child = spawn(file, [...request.args], { env: processEnv(request.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      action();
    };
    const stop = () => {
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const onAbort = () => {
      stop();
      settle(() => reject(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > OUTPUT_LIMIT) {
        stop();
        settle(() =>
          reject(
            new ArchfitError('CREDENTIAL_HELPER', `credential helper ${quote(program)} wrote more than 1 MiB`, {
              details: { helper: program },
            }),
          ),
        );
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    child.on('error', (error: NodeJS.ErrnoException) => {
      settle(() =>
        reject(
          new ArchfitError(
            'CREDENTIAL_HELPER',
            `credential helper ${quote(program)} could not be started${error.code ? ` (${error.code})` : ''}`,
            { cause: error, details: { helper: program } },
          ),
        ),
      );
    });
    child.on('close', (exitCode) => {
      settle(() =>
        resolve({
          exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        }),
      );
    });
    // A helper may exit without reading its input; the broken pipe that follows is not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(request.input);
  });
}

export interface HelperCallOptions {
  env: EnvVars;
  runHelper: RunHelper;
  timeoutMs: number;
  signal?: AbortSignal;
}

// Helper names come from a config file and become part of a program name: no path separators, no option-like names.
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const NOT_FOUND = /credentials not found/i;

/** Asks helper `name` for `serverUrl`'s credential; undefined when it has none. */
export async function credentialFromHelper(
  name: string,
  serverUrl: string,
  options: HelperCallOptions,
): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(name)) {
    throw new ArchfitError('CREDENTIAL_HELPER', `invalid credential helper name ${quote(name)}`, {
      details: { helper: name },
    });
  }
  const program = `docker-credential-${name}`;
  const details = { helper: program, serverUrl };
  options.signal?.throwIfAborted();
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  const timed = timedSignal(
    options.signal,
    options.timeoutMs,
    () =>
      new ArchfitError('CREDENTIAL_HELPER', `credential helper ${quote(program)} did not answer within ${seconds} s`, {
        details,
      }),
  );
  let result: HelperResult;
  try {
    result = await options.runHelper({
      program,
      args: ['get'],
      input: serverUrl,
      env: options.env,
      signal: timed.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timed.signal.aborted && isArchfitError(timed.signal.reason)) throw timed.signal.reason;
    if (isArchfitError(error)) throw error;
    // What a custom runner threw is not ours to repeat: it might quote the helper's output.
    throw new ArchfitError('CREDENTIAL_HELPER', `credential helper ${quote(program)} could not be run`, { details });
  } finally {
    timed.dispose();
  }
  if (result.exitCode !== 0) {
    if (NOT_FOUND.test(result.stdout) || NOT_FOUND.test(result.stderr)) return undefined;
    const how = result.exitCode === null ? 'was killed' : `failed with exit code ${result.exitCode}`;
    throw new ArchfitError('CREDENTIAL_HELPER', `credential helper ${quote(program)} ${how} for ${quote(serverUrl)}`, {
      details: { ...details, exitCode: result.exitCode },
    });
  }
  let answer: unknown;
  try {
    answer = JSON.parse(result.stdout);
  } catch {
    answer = undefined;
  }
  const fields = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : undefined;
  const username = fields?.['Username'];
  const secret = fields?.['Secret'];
  if (!fields || (username !== undefined && typeof username !== 'string') || typeof (secret ?? '') !== 'string') {
    throw new ArchfitError(
      'CREDENTIAL_HELPER',
      `credential helper ${quote(program)} answered with something other than {"Username","Secret"} JSON`,
      { details },
    );
  }
  const user = (username as string | undefined) ?? '';
  const pass = (secret as string | undefined) ?? '';
  if (user === '<token>') return pass === '' ? undefined : { identityToken: pass };
  if (user === '' && pass === '') return undefined;
  const credential: Credential = { password: pass };
  if (user !== '') credential.username = user;
  return credential;
}
