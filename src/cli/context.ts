// Everything a command needs from the process, gathered once: the registry client (with credentials from the user's
// docker config and ECR), the debug log, and how image locations on the command line become stores.
import { homedir } from 'node:os';
import { type ImageHandle, openImage } from '../locate/index.js';
import { defaultCredentialStore } from '../registry/credentials/index.js';
import { RegistryClient, type RequestEvent } from '../registry/index.js';
import type { CliIo } from './run.js';

export interface RegistryFlags {
  insecureRegistry?: string[];
  caFile?: string;
  debug?: boolean;
}

export class CliContext {
  readonly io: CliIo;
  readonly debug: boolean;
  private client: RegistryClient | undefined;
  private readonly flags: RegistryFlags;
  private readonly opened: ImageHandle[] = [];
  readonly requests: RequestEvent[] = [];

  constructor(io: CliIo, flags: RegistryFlags) {
    this.io = io;
    this.flags = flags;
    this.debug = flags.debug === true || io.env.ARCHFIT_DEBUG === '1';
  }

  log(line: string): void {
    if (this.debug) this.io.stderr.write(`debug: ${line}\n`);
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  get homeDir(): string {
    return this.io.env.HOME || homedir();
  }

  registry(): RegistryClient {
    if (!this.client) {
      const env = this.io.env;
      const insecure = [
        ...(this.flags.insecureRegistry ?? []),
        ...(env.ARCHFIT_INSECURE_REGISTRIES ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      ];
      this.client = new RegistryClient({
        credentials: defaultCredentialStore({ env, homeDir: this.homeDir }),
        insecureRegistries: insecure,
        hosts: parseHostMap(env.ARCHFIT_REGISTRY_HOSTS ?? ''),
        ...(this.flags.caFile ? { caFile: this.flags.caFile } : {}),
        log: (line) => this.log(line),
        onRequest: (event) => {
          this.requests.push(event);
        },
      });
    }
    return this.client;
  }

  /** Turns a command-line image location into a store and a reference inside it. */
  async open(
    location: string,
    purpose: 'read' | 'write' | 'plan' = 'read',
    signal?: AbortSignal,
  ): Promise<ImageHandle> {
    const handle = await openImage(location, {
      purpose,
      ...(signal ? { signal } : {}),
      // Local locations never need the client; registry ones share this one.
      ...(isRegistryLocation(location) ? { client: this.registry() } : {}),
    });
    this.opened.push(handle);
    return handle;
  }

  async close(): Promise<void> {
    for (const handle of this.opened) await handle.close();
    await this.client?.close();
  }
}

/** `ARCHFIT_REGISTRY_HOSTS=NAME=HOST:PORT,…`: dial HOST:PORT for registry NAME (a mirror, a tunnel, a test). */
function parseHostMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    map[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim();
  }
  return map;
}

function isRegistryLocation(location: string): boolean {
  return !location.startsWith('oci:') && !location.startsWith('docker-archive:');
}
