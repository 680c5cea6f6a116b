import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';
import { describeError, EXIT } from './exit.js';

/** Where a command writes and what it may read of the process: passed in so tests can run the CLI in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Called when a command's code is loaded, before it runs: where the CLI process tunes itself (main.ts). */
  commandLoaded?: (command: 'inspect' | 'copy' | 'check' | 'targets') => void;
}

export function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Options every command that talks to a registry understands. */
// biome-ignore lint/suspicious/noExplicitAny: accepts a command of any option shape
function withRegistryOptions<T extends Command<any, any, any>>(cmd: T): T {
  cmd
    .addOption(new Option('--insecure-registry <host>', 'allow plain HTTP to HOST (repeatable)').argParser(collect))
    .addOption(new Option('--ca-file <file>', 'trust the CA certificates in FILE (PEM) for registries'))
    .addOption(new Option('--debug', 'print every request, retry and decision on stderr (credentials redacted)'));
  return cmd;
}

/** Repeatable option whose values may hold commas themselves (`--target k8s:amd64,arm64`). */
function collectWhole(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value.trim()];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

/** Columns of `--help` output, whatever the terminal (the docs quote it). */
export const HELP_WIDTH = 100;

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command()
    .name('archfit')
    .description(
      'Make sure a container image will run on the CPU and OS it is deployed to.\n' +
        'No Docker daemon needed: registries, OCI layout directories and docker-save archives are read directly.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // A fixed width, not the terminal's: help reads the same everywhere and docs/commands.md can quote it exactly.
    // Set before the subcommands are added, which copy it when they are created.
    .configureHelp({ helpWidth: HELP_WIDTH })
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`archfit: USAGE: ${s.replace(/^error: /, '').trimEnd()}\n`),
    })
    .exitOverride();

  const inspect = program
    .command('inspect')
    .description('show the platforms of an image (registry, oci:DIR[:TAG] or docker-archive:FILE) without pulling it')
    .argument('<image>', 'image reference')
    .option('-p, --platform <platform>', 'show which manifest a host of this platform would pull, and its config')
    .option('--json', 'print the result as JSON')
    .option('--raw', 'print the raw manifest bytes exactly as served')
    .option('--config', 'print the raw config of the selected image')
    .option('--full', 'fetch every child manifest and config: sizes and the platform cross-check for all entries')
    .option('--deep', 'with --platform: analyse the entrypoint binary inside the layers');
  withRegistryOptions(inspect).action(async (image, opts) => {
    const { inspectCommand } = await import('./commands/inspect.js');
    io.commandLoaded?.('inspect');
    setExit(await inspectCommand(image, opts, io));
  });

  const copy = program
    .command('copy')
    .description(
      'copy an image to a registry or an OCI layout (from either, or a docker-archive), keeping every platform ' +
        '(or exactly the ones asked)',
    )
    .argument('<source>', 'source image')
    .argument('<destination>', 'destination image')
    .option('-p, --platform <platform>', 'keep only these platforms (repeatable, or comma-separated)', collect)
    .option('-t, --target <target>', 'keep the platforms this deployment target runs, and refuse if none would run')
    .option('--no-attestations', 'drop attestation manifests from a rewritten index')
    .option('--create-repository', 'create a missing ECR repository')
    .option('-j, --jobs <n>', 'concurrent blob transfers, 1 to 64 (default 4)')
    .option('--json', 'print the summary as JSON')
    .option('--progress', 'show progress bars (default on a terminal)')
    .option('--no-progress', 'never show progress bars')
    .option('--dry-run', 'print the plan and push nothing');
  withRegistryOptions(copy).action(async (source, destination, opts) => {
    const { copyCommand } = await import('./commands/copy.js');
    io.commandLoaded?.('copy');
    setExit(await copyCommand(source, destination, opts, io));
  });

  const check = program
    .command('check')
    .description('check whether an image will run on a deployment target, a platform, or what a deployment spec says')
    .argument('[image]', 'image reference (not with --spec)')
    .option(
      '-t, --target <target>',
      'deployment target, e.g. apprunner, ecs:arm64, lambda, k8s:amd64,arm64 (repeatable)',
      collectWhole,
    )
    .option('-p, --platform <platform>', 'platform the image must run on (repeatable)', collect)
    .option('--spec <file>', 'read images and targets from a deployment spec (ECS, CloudFormation, Terraform, k8s, …)')
    .option(
      '--spec-type <type>',
      'read the spec as this type instead of detecting it: ecs-task-definition, apprunner, lambda, cloudformation, ' +
        'terraform-plan, kubernetes or compose',
    )
    .option(
      '--node-arch <archs>',
      'Kubernetes node architectures, comma-separated, for pods that do not pin one (default amd64)',
    )
    .option(
      '--resolve <image=location>',
      "check a spec's IMAGE as found at LOCATION, e.g. a local oci: layout (repeatable)",
      collectWhole,
    )
    .option('--deep', 'look inside the layers at the entrypoint binary')
    .option('--json', 'print the verdicts as JSON');
  withRegistryOptions(check).action(async (image, opts) => {
    const { checkCommand } = await import('./commands/check.js');
    io.commandLoaded?.('check');
    setExit(await checkCommand(image, opts, io));
  });

  program
    .command('targets')
    .description('list the deployment targets archfit knows, with the platforms they run and the sources')
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const { targetsCommand } = await import('./commands/targets.js');
      io.commandLoaded?.('targets');
      setExit(await targetsCommand(opts, io));
    });

  return program as unknown as Command;
}

/** Runs the CLI with these arguments; resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { line, exitCode: code } = describeError(error);
    io.stderr.write(`${line}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return code;
  }
}
