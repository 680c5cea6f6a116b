// The deep check: what the runtime would exec for an image, found in its layers, and whether the kernel of the
// platform checked would run it. Split in two so one read of the layers serves many platforms:
// - `traceEntrypoint` (I/O through the ContentStore only): argv from Entrypoint and Cmd, argv[0] looked up the way
//   the runtime does (PATH from the config's Env, WorkingDir for relative paths), symlinks and hard links followed,
//   then the head of each file read: ELF → its PT_INTERP loader; `#!` → its interpreter (and what `env` runs).
//   Everything that fails whatever the platform (missing files, CRLF, no `#!`, no execute bit) is found here.
// - `judgeEntrypoint` (pure): the architecture of every ELF on that chain against the platform checked.
import { type BinaryFacts, describeBinary, type ElfFacts, identifyBinary, type ScriptFacts } from '../binary/index.js';
import type { Digest } from '../digest/index.js';
import { ArchfitError } from '../errors.js';
import {
  type ContentStore,
  type Descriptor,
  type FetchedManifest,
  getConfig,
  type ImageConfig,
  type ImageManifest,
} from '../image/index.js';
import {
  formatPlatform,
  fromSpecPlatform,
  normalizePlatform,
  type Platform,
  parsePlatform,
} from '../platform/index.js';
import type { EntrypointFinding, FindingCode } from './findings.js';
import { baseName, normalizePath, resolveIn } from './paths.js';
import { type Resolution, RootfsReader, type RootfsReaderOptions } from './rootfs-reader.js';

/** The PATH a runtime uses when the config's Env has none (runc, containerd, Docker). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/**
 * How deep the kernel follows interpreters in one execve: a `#!` script whose interpreter is a script … at most five
 * scripts deep (fs/exec.c gives ELOOP past depth 5). A program that env runs starts a new execve.
 */
export const MAX_INTERPRETER_DEPTH = 5;

/** The image to check: its manifest (parsed, as fetched, or a descriptor to fetch it by), and its config if known. */
export interface EntrypointImage {
  manifest: ImageManifest | FetchedManifest | Descriptor;
  config?: ImageConfig;
}

export interface AnalyzeEntrypointOptions extends Omit<RootfsReaderOptions, 'diffIds'> {
  /** Check layers read to their end against the config's DiffIDs (default true). */
  verifyDiffIds?: boolean;
}

/** How a file on the way to running the entrypoint comes into play. */
export type ExecRole = 'entrypoint' | 'loader' | 'interpreter' | 'env-program';

/** One file the kernel (or the runtime, or env) opens to run the entrypoint. */
export interface ExecStep {
  role: ExecRole;
  /** As asked for: argv[0], the PT_INTERP path, the `#!` interpreter, the name env looks up. */
  requested: string;
  /** The file's canonical path in the image, when it was found. */
  path?: string;
  /** `requested`, the path PATH lookup found, and the path after each symlink. */
  chain: string[];
  /** The layer its entry comes from. */
  layer?: Digest;
  mode?: number;
  size?: number;
  binary?: BinaryFacts;
  /** `ELF 64-bit LSB aarch64, static`, `script, #!/bin/sh` … */
  file?: string;
  /** What runs it: the loader of a dynamic ELF, the interpreter of a script, the program env runs. */
  next?: ExecStep;
}

/** What the layers say, whatever the platform. */
export interface EntrypointTrace {
  /** The platform the config declares, normalised. */
  declared: Platform;
  argv: string[];
  workingDir: string;
  /** The PATH lookups used (the config's, or the default). */
  pathVariable: string;
  entrypoint?: ExecStep;
  /** Findings that hold on every platform. */
  findings: EntrypointFinding[];
  bytesRead: number;
  layersRead: number;
}

export interface EntrypointAnalysis {
  /** The platform checked, normalised. */
  platform: Platform;
  declared: Platform;
  argv: string[];
  /** The file exec'd (canonical path), when found. */
  path?: string;
  chain: string[];
  layer?: Digest;
  file?: string;
  binary?: BinaryFacts;
  elf?: ElfFacts;
  script?: ScriptFacts;
  /** The loader, interpreter or env program, with its own `next`. */
  interpreter?: ExecStep;
  findings: EntrypointFinding[];
  /** No finding of severity error. */
  fits: boolean;
  bytesRead: number;
  layersRead: number;
}

/**
 * Reads the image's layers for its entrypoint and judges it for `platform` (default: the platform the config
 * declares). Errors reading the layers (corrupt, too big, aborted) throw ArchfitError; what would go wrong at run
 * time comes back as findings.
 */
export async function analyzeEntrypoint(
  store: ContentStore,
  image: EntrypointImage,
  platform?: Platform | string,
  options: AnalyzeEntrypointOptions = {},
): Promise<EntrypointAnalysis> {
  const trace = await traceEntrypoint(store, image, options);
  return judgeEntrypoint(trace, platform);
}

async function loadImage(
  store: ContentStore,
  image: EntrypointImage,
  signal?: AbortSignal,
): Promise<{ manifest: ImageManifest; config: ImageConfig }> {
  const given = image.manifest;
  let manifest: ImageManifest;
  const fromFetched = (fetched: FetchedManifest): ImageManifest => {
    if (fetched.parsed.kind !== 'image') {
      throw new ArchfitError(
        'INVALID_ARGUMENT',
        `${fetched.descriptor.digest} is an image index: pick the image manifest of one platform for a deep check`,
      );
    }
    return fetched.parsed.manifest;
  };
  if ('parsed' in given) manifest = fromFetched(given);
  else if ('layers' in given) manifest = given;
  else {
    const fetched = await store.getManifest(given.digest, { expected: given, ...(signal ? { signal } : {}) });
    manifest = fromFetched(fetched);
  }
  const config = image.config ?? (await getConfig(store, manifest.config, signal ? { signal } : {}));
  return { manifest, config };
}

/** argv as the runtime builds it: Entrypoint then Cmd; Cmd alone when there is no Entrypoint. */
export function commandOf(config: ImageConfig): string[] {
  const runtime = config.config ?? {};
  return [...(runtime.Entrypoint ?? []), ...(runtime.Cmd ?? [])];
}

/** The value of `name` in an Env list (the last one wins, as when the runtime sets them in order). */
function envValue(env: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (const item of env) if (item.startsWith(`${name}=`)) value = item.slice(name.length + 1);
  return value;
}

const show = (text: string) => JSON.stringify(text);

interface Context {
  reader: RootfsReader;
  cwd: string;
  pathVariable: string;
  findings: EntrypointFinding[];
}

function finding(
  code: FindingCode,
  message: string,
  where: { path?: string; layer?: Digest | Descriptor; detail?: Record<string, unknown> } = {},
  severity: 'error' | 'warning' = 'error',
): EntrypointFinding {
  const layer = typeof where.layer === 'object' ? where.layer.digest : where.layer;
  return {
    code,
    severity,
    message,
    ...(where.path !== undefined ? { path: where.path } : {}),
    ...(layer ? { layer } : {}),
    ...(where.detail ? { detail: where.detail } : {}),
  };
}

/**
 * The I/O half of the deep check: the entrypoint and everything it needs to start, read from the layers, with the
 * findings that do not depend on the platform.
 */
export async function traceEntrypoint(
  store: ContentStore,
  image: EntrypointImage,
  options: AnalyzeEntrypointOptions = {},
): Promise<EntrypointTrace> {
  const { manifest, config } = await loadImage(store, image, options.signal);
  const declared = normalizePlatform(fromSpecPlatform(config));
  const runtime = config.config ?? {};
  const argv = commandOf(config);
  const env = runtime.Env ?? [];
  const pathVariable = envValue(env, 'PATH') ?? DEFAULT_PATH;
  const workingDir = normalizePath(runtime.WorkingDir || '/');
  const trace: EntrypointTrace = {
    declared,
    argv,
    workingDir,
    pathVariable,
    findings: [],
    bytesRead: 0,
    layersRead: 0,
  };
  if (declared.os !== 'linux') {
    trace.findings.push(
      finding(
        'DEEP_CHECK_UNSUPPORTED',
        `the image is for ${declared.os || 'an unknown OS'}: the deep check reads Linux images only, so its entrypoint was not checked`,
        { detail: { os: declared.os } },
        'warning',
      ),
    );
    return trace;
  }
  if (argv.length === 0 || argv[0] === '') {
    trace.findings.push(
      finding(
        'NO_ENTRYPOINT',
        'the image config has no Entrypoint and no Cmd: the container will not start unless a command is given at run time. Add ENTRYPOINT or CMD to the Dockerfile',
      ),
    );
    return trace;
  }
  const { verifyDiffIds, ...readerOptions } = options;
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    // containerd refuses to unpack such an image ("mismatched image rootfs and manifest layers").
    throw new ArchfitError(
      'MANIFEST_INVALID',
      `the image has ${manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} rootfs.diff_ids: a runtime refuses to unpack it`,
    );
  }
  const reader = new RootfsReader(store, manifest.layers, {
    ...readerOptions,
    ...(verifyDiffIds === false ? {} : { diffIds: config.rootfs.diff_ids }),
  });
  try {
    const context: Context = { reader, cwd: workingDir, pathVariable, findings: trace.findings };
    trace.entrypoint = await step(context, 'entrypoint', argv[0]!, 0);
  } finally {
    reader.close();
    trace.bytesRead = reader.bytesRead;
    trace.layersRead = reader.layersRead;
  }
  return trace;
}

/**
 * Where the runtime (or execvp) finds a name: through PATH when it has no `/` (the first regular file with an
 * execute bit wins; failing that, a file without one, which then fails as not executable), else relative to
 * WorkingDir.
 */
async function locate(
  context: Context,
  name: string,
  usePath: boolean,
): Promise<{ resolution: Resolution; searched?: string[] }> {
  const { reader, cwd } = context;
  if (!usePath || name.includes('/')) return { resolution: await reader.resolve(name, { cwd }) };
  const dirs = context.pathVariable.split(':').map((d) => (d === '' ? '.' : d));
  const candidates = dirs.map((d) => resolveIn(cwd, `${d}/${name}`));
  reader.want(candidates);
  let notExecutable: Resolution | undefined;
  for (const candidate of candidates) {
    const resolution = await reader.resolve(candidate, { cwd });
    if (!resolution.ok || resolution.node.type === 'dir') continue;
    if ((resolution.node.mode & 0o111) !== 0) return { resolution };
    notExecutable ??= resolution;
  }
  if (notExecutable) return { resolution: notExecutable };
  const resolution: Resolution = {
    ok: false,
    errno: 'ENOENT',
    at: name,
    message: `${name} is not in any PATH directory`,
    chain: [name],
  };
  return { resolution, searched: dirs };
}

const WHAT: Record<ExecRole, string> = {
  entrypoint: 'the entrypoint',
  loader: 'the dynamic loader',
  interpreter: 'the #! interpreter',
  'env-program': 'the program env runs',
};

async function step(
  context: Context,
  role: ExecRole,
  requested: string,
  depth: number,
  parent?: ExecStep,
): Promise<ExecStep> {
  const { findings, reader } = context;
  const usePath = role === 'entrypoint' || role === 'env-program';
  const { resolution, searched } = await locate(context, requested, usePath);
  const result: ExecStep = { role, requested, chain: [] };
  const parentPath = parent?.path ?? parent?.requested;

  if (!resolution.ok) {
    result.chain = resolution.chain[0] === requested ? resolution.chain : [requested, ...resolution.chain];
    missing(context, role, requested, resolution, parentPath, parent, searched);
    return result;
  }
  const node = resolution.node;
  result.chain = resolution.chain[0] === requested ? resolution.chain : [requested, ...resolution.chain];
  result.path = node.path;
  if (node.layer) result.layer = node.layer.digest;
  result.mode = node.mode;
  result.size = node.size;
  const where = { path: node.path, ...(node.layer ? { layer: node.layer } : {}) };

  if (node.type !== 'file') {
    const kind = node.type === 'dir' ? 'a directory' : 'not a regular file';
    findings.push(
      finding('NOT_EXECUTABLE', `${WHAT[role]} ${node.path} is ${kind}: execve fails with "permission denied"`, {
        ...where,
        detail: { role, type: node.type },
      }),
    );
    return result;
  }
  if ((node.mode & 0o111) === 0) {
    findings.push(
      finding(
        'NOT_EXECUTABLE',
        `${WHAT[role]} ${node.path} has no execute permission (mode ${node.mode.toString(8).padStart(4, '0')}): the container fails with "permission denied". Add "RUN chmod +x ${node.path}" (or COPY --chmod=755)`,
        { ...where, detail: { role, mode: node.mode } },
      ),
    );
    return result;
  }

  const head = await reader.head(node);
  const facts = identifyBinary(head, { fileSize: node.size });
  result.binary = facts;
  result.file = describeBinary(facts);

  if (role === 'loader') {
    if (facts.format !== 'elf') {
      findings.push(
        finding(
          'INTERPRETER_INVALID',
          `the dynamic loader ${node.path} of ${parentPath} is not an ELF program (${result.file}): execve fails`,
          { ...where, detail: { role, file: result.file } },
        ),
      );
    }
    // The kernel does not look at a loader's own PT_INTERP.
    return result;
  }

  switch (facts.format) {
    case 'elf':
      if (facts.linkage === 'dynamic' && facts.interpreter !== undefined) {
        result.next = await step(context, 'loader', facts.interpreter, depth + 1, result);
      }
      return result;
    case 'script':
      await script(context, result, facts, depth, where);
      return result;
    case 'pe':
      findings.push(
        finding(
          'BINARY_OS_MISMATCH',
          `${WHAT[role]} ${node.path} is a Windows program (${result.file}): Linux cannot run it ("exec format error")`,
          { ...where, detail: { role, machine: facts.machine } },
        ),
      );
      return result;
    case 'malformed':
      findings.push(
        finding(
          role === 'entrypoint' ? 'BINARY_MALFORMED' : 'INTERPRETER_INVALID',
          `${WHAT[role]} ${node.path} is a malformed ${facts.claimed === 'elf' ? 'ELF file' : facts.claimed === 'pe' ? 'PE file' : '#! script'} (${facts.reason}): execve fails with "exec format error"`,
          { ...where, detail: { role, claimed: facts.claimed, reason: facts.reason } },
        ),
      );
      return result;
    case 'unknown': {
      if (role === 'interpreter') {
        findings.push(
          finding(
            'INTERPRETER_INVALID',
            `the #! interpreter ${node.path} of ${parentPath} is neither an ELF program nor a script (${facts.reason}): execve fails with "exec format error"`,
            { ...where, detail: { role, reason: facts.reason } },
          ),
        );
        return result;
      }
      const viaEnv = role === 'env-program';
      const empty = node.size === 0;
      findings.push(
        finding(
          'SCRIPT_NO_SHEBANG',
          viaEnv
            ? `${node.path} (run through env) is neither an ELF program nor a #! script: env's execvp falls back to running it with /bin/sh. Add a #! line to say which interpreter it needs`
            : `${WHAT[role]} ${node.path} is ${empty ? 'an empty file' : `neither an ELF program nor a script with a #! line (${facts.reason})`}: the container fails with "exec format error". ${empty ? 'Check how the file is built or copied into the image' : 'Add a first line such as #!/bin/sh, or run it through its interpreter (ENTRYPOINT ["/bin/sh", "' + node.path + '"])'}`,
          { ...where, detail: { role, reason: facts.reason, size: node.size } },
          viaEnv ? 'warning' : 'error',
        ),
      );
      return result;
    }
  }
}

/** The `#!` line of `result`: CRLF, the interpreter, and what `env` runs. */
async function script(
  context: Context,
  result: ExecStep,
  facts: ScriptFacts,
  depth: number,
  where: { path: string; layer?: Descriptor },
): Promise<void> {
  const { findings, reader, cwd } = context;
  const path = result.path ?? result.requested;
  if (depth + 1 > MAX_INTERPRETER_DEPTH) {
    findings.push(
      finding(
        'INTERPRETER_INVALID',
        `${path} is script number ${depth + 1} in a chain of #! interpreters, and the kernel follows at most ${MAX_INTERPRETER_DEPTH}: execve fails with "too many levels of symbolic links"`,
        { ...where, detail: { depth: depth + 1, errno: 'ELOOP' } },
      ),
    );
    return;
  }
  const interpreter = facts.interpreter;
  const argumentCr = facts.argument?.endsWith('\r') ?? false;
  if (interpreter.endsWith('\r')) {
    const probe = await reader.resolve(interpreter, { cwd });
    if (!probe.ok) {
      const plain = interpreter.slice(0, -1);
      const plainExists = (await reader.resolve(plain, { cwd })).ok;
      findings.push(
        finding(
          'SHEBANG_CRLF',
          `${path} has Windows line endings: its first line is "#!${show(interpreter).slice(1, -1)}", so the kernel looks for the interpreter ${show(interpreter)}${plainExists ? ` (${plain} exists, but not with a \\r)` : ''} and the container fails with "no such file or directory". Convert it to LF line endings (dos2unix, or "* text eol=lf" in .gitattributes)`,
          { ...where, detail: { interpreter, withoutCr: plain, withoutCrExists: plainExists } },
        ),
      );
      result.next = { role: 'interpreter', requested: interpreter, chain: probe.chain };
      return;
    }
  } else if (argumentCr) {
    findings.push(
      finding(
        'SHEBANG_CRLF',
        `${path} has Windows line endings: its first line passes ${show(facts.argument ?? '')} (with a \\r) to ${interpreter}, which will not understand it. Convert it to LF line endings (dos2unix, or "* text eol=lf" in .gitattributes)`,
        { ...where, detail: { interpreter, argument: facts.argument } },
      ),
    );
  }
  const next = await step(context, 'interpreter', interpreter, depth + 1, result);
  result.next = next;
  // `#!/usr/bin/env NAME`: env looks NAME up in PATH and execs it.
  if (baseName(normalizePath(interpreter)) !== 'env' || facts.argument === undefined || argumentCr) return;
  const program = envProgram(facts.argument);
  if (program === undefined || !next.path) return;
  const before = findings.length;
  next.next = await step(context, 'env-program', program, 0, next);
  const notFound = findings.slice(before).find((f) => f.code === 'INTERPRETER_MISSING');
  if (notFound && /[ \t]/.test(program)) {
    notFound.message += `. The kernel passes everything after the interpreter as ONE argument, so env looks for a program named ${show(program)}: write "#!${interpreter} -S ${facts.argument}"`;
  }
}

/** The program `env` runs for a `#!…/env ARG` line: ARG itself, or with -S the first word that is no option. */
function envProgram(argument: string): string | undefined {
  if (argument.startsWith('-S') || argument.startsWith('--split-string')) {
    const words = argument
      .replace(/^(-S|--split-string=?)/, '')
      .trim()
      .split(/[ \t]+/);
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      if (word === '-u' || word === '--unset' || word === '-C' || word === '--chdir') {
        i++;
        continue;
      }
      if (word === '' || word.startsWith('-') || word.includes('=')) continue;
      return word;
    }
    return undefined;
  }
  if (argument.startsWith('-') || argument.includes('=')) return undefined;
  return argument;
}

function missing(
  context: Context,
  role: ExecRole,
  requested: string,
  resolution: Extract<Resolution, { ok: false }>,
  parentPath: string | undefined,
  parent: ExecStep | undefined,
  searched: string[] | undefined,
): void {
  const { findings } = context;
  const layer = resolution.layer;
  if (resolution.errno === 'ELOOP') {
    findings.push(
      finding(
        'SYMLINK_LOOP',
        `${WHAT[role]} ${requested}: ${resolution.message}: execve fails with "too many levels of symbolic links"`,
        {
          path: resolution.at,
          ...(layer ? { layer } : {}),
          detail: { role, chain: resolution.chain },
        },
      ),
    );
    return;
  }
  if (resolution.errno === 'EBADLINK') {
    findings.push(
      finding(
        'BROKEN_HARDLINK',
        `${WHAT[role]} ${requested}: ${resolution.message}: the layer cannot be unpacked as it is`,
        {
          path: resolution.at,
          ...(layer ? { layer } : {}),
          detail: { role },
        },
      ),
    );
    return;
  }
  const why =
    searched !== undefined
      ? `is not found in any PATH directory (${searched.join(':')})`
      : resolution.errno === 'ENOTDIR'
        ? `cannot be reached (${resolution.message})`
        : resolution.at === resolution.chain[resolution.chain.length - 1] && !resolution.whiteout
          ? 'does not exist in the image'
          : `is not in the image (${resolution.message})`;
  if (role === 'entrypoint') {
    findings.push(
      finding(
        'ENTRYPOINT_MISSING',
        `the entrypoint ${requested} ${why}: the container fails with "${searched ? 'executable file not found in $PATH' : 'no such file or directory'}". Check the ENTRYPOINT/CMD path, that the file is copied into the final stage, and that no later layer deletes it`,
        {
          path: resolution.at,
          ...(layer ? { layer } : {}),
          detail: {
            role,
            errno: resolution.errno,
            chain: resolution.chain,
            ...(resolution.whiteout ? { whiteout: true } : {}),
          },
        },
      ),
    );
    return;
  }
  const fix =
    role === 'loader'
      ? `: this dynamic program needs its C library loader, so the container fails with "no such file or directory" although ${parentPath} exists. Use a base image with that C library (glibc or musl, matching the build), or link the program statically`
      : role === 'env-program'
        ? `: env fails with "No such file or directory". Install it in the image or fix the #! line`
        : `: the container fails with "no such file or directory" although ${parentPath} exists. Install the interpreter in the image or fix the #! line`;
  findings.push(
    finding('INTERPRETER_MISSING', `${WHAT[role]} ${requested} of ${parentPath} ${why}${fix}`, {
      path: resolution.at,
      ...(parent?.layer ? { layer: parent.layer } : {}),
      detail: { role, requested, errno: resolution.errno },
    }),
  );
}

/** Would an ELF for `binary` run on `host`? `compat` when only through a mode the host may lack. */
export function architectureFits(binary: string | undefined, host: string): 'yes' | 'compat' | 'no' {
  if (binary === undefined) return 'no';
  if (binary === host) return 'yes';
  if (binary === '386' && host === 'amd64') return 'yes';
  if (binary === 'arm' && host === 'arm64') return 'compat';
  return 'no';
}

/**
 * The pure half of the deep check: the trace's findings plus, for each ELF on the way (program, loader,
 * interpreters), whether `platform` (default: the declared one) runs it.
 */
export function judgeEntrypoint(trace: EntrypointTrace, platform?: Platform | string): EntrypointAnalysis {
  const checked = normalizePlatform(
    platform === undefined ? trace.declared : typeof platform === 'string' ? parsePlatform(platform) : platform,
  );
  const findings = [...trace.findings];
  const entry = trace.entrypoint;
  const target = formatPlatform(checked);
  if (checked.os !== 'linux' && trace.declared.os === 'linux') {
    findings.push(
      finding(
        'DEEP_CHECK_UNSUPPORTED',
        `the deep check judges Linux hosts only; ${target} was not checked`,
        { detail: { os: checked.os } },
        'warning',
      ),
    );
  } else {
    for (let s = entry; s; s = s.next) {
      if (s.binary?.format !== 'elf' || !s.path) continue;
      const elf = s.binary;
      const fits = architectureFits(elf.architecture, checked.architecture);
      if (fits === 'yes') continue;
      const arch = elf.architecture ?? `an unknown architecture (${elf.machineName})`;
      const where = { path: s.path, ...(s.layer ? { layer: s.layer } : {}) };
      const detail = {
        role: s.role,
        expected: checked.architecture,
        found: elf.architecture ?? null,
        machine: elf.machine,
        machineName: elf.machineName,
        declared: formatPlatform(trace.declared),
      };
      const what = s.role === 'entrypoint' ? `${s.path}` : `${WHAT[s.role]} ${s.path}`;
      if (fits === 'compat') {
        findings.push(
          finding(
            'BINARY_ARCH_COMPAT',
            `${what} is a 32-bit ARM program (${s.file}): it runs on ${target} only where the CPU and kernel support 32-bit ARM (AArch32), which many arm64 servers lack. Build it for linux/arm64 to be sure`,
            { ...where, detail },
            'warning',
          ),
        );
        continue;
      }
      const labelled = trace.declared.architecture === checked.architecture;
      const fix = labelled
        ? `The image is labelled ${formatPlatform(trace.declared)} but this program is not: it was built on or copied from another architecture. Rebuild it with docker buildx build --platform ${target}`
        : `Run it on a ${arch} host, or build the image for ${target} (docker buildx build --platform ${target})`;
      findings.push(
        finding(
          'BINARY_ARCH_MISMATCH',
          `${what} is built for ${arch} (${s.file}), but the platform checked is ${target}: the container fails with "exec format error". ${fix}`,
          { ...where, detail },
        ),
      );
    }
  }
  const binary = entry?.binary;
  return {
    platform: checked,
    declared: trace.declared,
    argv: trace.argv,
    ...(entry?.path ? { path: entry.path } : {}),
    chain: entry?.chain ?? [],
    ...(entry?.layer ? { layer: entry.layer } : {}),
    ...(entry?.file ? { file: entry.file } : {}),
    ...(binary ? { binary } : {}),
    ...(binary?.format === 'elf' ? { elf: binary } : {}),
    ...(binary?.format === 'script' ? { script: binary } : {}),
    ...(entry?.next ? { interpreter: entry.next } : {}),
    findings,
    fits: !findings.some((f) => f.severity === 'error'),
    bytesRead: trace.bytesRead,
    layersRead: trace.layersRead,
  };
}
