// Docs that do not rot. Everything the docs show is checked against the code:
// - docs/commands.md quotes `archfit --help` and every `archfit <command> --help` exactly (help is a fixed width), and
//   explains every flag, environment variable, error code and reason code the code has;
// - docs/architecture.md lists every module of src/ with exactly the modules it imports;
// - interfaces and types the docs show are quoted from src/ verbatim;
// - the examples in README.md and docs/library.md are the files in docs/examples, quoted verbatim; each one compiles
//   against src/ and runs, and prints what the docs say it prints;
// - the outputs and JSON the docs show are what archfit prints (JSON: the same keys and types);
// - every `archfit` line in a ```sh block of README.md and docs/*.md runs: the blocks marked as runnable for real,
//   against the demo's layouts, with the exit code the line states; all the others against a local registry that
//   knows no image (every registry name is sent there), where they must get past argument parsing and validation to
//   asking the registry (exit 2 would mean the docs show a command line archfit rejects).
//
// Conventions in the markdown (HTML comments, invisible when rendered), on the line(s) just above a fenced block:
//   <!-- test: run -->                   a ```sh block whose `archfit` lines run in a directory holding the demo's
//                                        layouts (oci:upstream, oci:mislabeled), taskdef.json (examples/taskdef.json),
//                                        myapp.tar (a docker save of an arm64 image tagged myapp:1.0) and the files
//                                        below; a line whose comment starts `# exit N` must exit N, any other 0
//   <!-- file: NAME -->                  the block is written to NAME in that directory (a spec the docs show)
//   <!-- output: archfit ARGS -->        a ```text block that is what that command prints there (digests and sizes,
//                                        which depend on how zlib compressed the demo's layers, aside)
//   <!-- json: archfit ARGS -->          a ```json block of what that command prints there: same keys, same types
//   <!-- example: docs/examples/X.ts -->  a ```ts block that is that file, verbatim
//   <!-- output: docs/examples/X.ts -->   a ```text block that is exactly what that example prints
//   <!-- quote: src/FILE.ts#Name -->      a ```ts block that is that exported interface or type, verbatim
// Every example in docs/examples reads the demo's layouts from the directory given as its argument.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProgram, HELP_WIDTH } from '../src/cli/run.js';
import { ERROR_CODES } from '../src/errors.js';
import { FINDING_CODES } from '../src/rootfs/index.js';
import { makeTempDir } from './support/cleanup.js';
import { archfit } from './support/cli.js';
import { buildImage, writeLegacyArchive } from './support/layout-fixtures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).flatMap((f) => (f.endsWith('.md') ? [`docs/${f}`] : []))];
const EXAMPLES = readdirSync(join(ROOT, 'docs', 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `docs/examples/${f}`)
  .sort();
const UPDATE = 'update the doc to match (the code is the truth), or fix the code';

// ---------------------------------------------------------------------------------------------------------------
// Reading the markdown

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The HTML comments just above the fence (blank lines between are allowed). */
  markers: string[];
}

function read(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

function blocksOf(file: string): Block[] {
  const lines = read(file).split('\n');
  const blocks: Block[] = [];
  let markers: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = /^<!--\s*(.*?)\s*-->$/.exec(line.trim());
    if (marker) {
      markers.push(marker[1]!);
      continue;
    }
    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      const close = fence[1]!;
      let end = i + 1;
      while (end < lines.length && lines[end]!.trim() !== close) end++;
      blocks.push({ file, line: i + 1, lang: fence[2]!, code: lines.slice(i + 1, end).join('\n'), markers });
      markers = [];
      i = end;
      continue;
    }
    if (line.trim() !== '') markers = [];
  }
  return blocks;
}

function markerValue(block: Block, name: string): string | undefined {
  for (const m of block.markers) {
    const match = new RegExp(`^${name}:\\s*(.+)$`).exec(m);
    if (match) return match[1]!.trim();
  }
  return undefined;
}

/** The markdown without its fenced blocks (prose and tables only). */
function prose(file: string): string {
  return read(file).replace(/^(`{3,}|~{3,}).*\n[\s\S]*?^\1\s*$/gm, '');
}

/** Splits a shell line into words as sh would (quotes, backslashes); a word starting with # starts the comment. */
function shellWords(line: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      assert.ok(end !== -1, `unclosed ' in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        word += line[j];
      }
      assert.ok(j < line.length, `unclosed " in: ${line}`);
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      return { words, comment: line.slice(i + 1).trim() };
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words, comment: '' };
}

interface DocCommand {
  file: string;
  line: number;
  text: string;
  args: string[];
  comment: string;
}

/** The `archfit …` (or `npx archfit …`) lines of a sh block, continuation lines joined. */
function commandsOf(block: Block): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = block.code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i]!.trim()}`;
    const { words, comment } = shellWords(text);
    const at = words[0] === 'npx' ? 1 : 0;
    if (words[at] !== 'archfit') continue;
    out.push({ file: block.file, line: block.line + 1 + start, text: text.trim(), args: words.slice(at + 1), comment });
  }
  return out;
}

const ALL_BLOCKS = DOCS.flatMap(blocksOf);
const SH_BLOCKS = ALL_BLOCKS.filter((b) => b.lang === 'sh' || b.lang === 'bash' || b.lang === 'shell');

// ---------------------------------------------------------------------------------------------------------------
// Running the CLI as a user would: the built binary, in a directory of the demo's layouts

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [...nodeArgs, file, ...args],
      { cwd, env, timeout: 120_000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') fail(error);
        else done({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

let base = '';
let home = '';
let dockerConfig = '';
let env: NodeJS.ProcessEnv = {};

function workdir(): string {
  const dir = makeTempDir('docs-run');
  cpSync(base, dir, { recursive: true });
  return dir;
}

/**
 * A registry that knows no image: every request gets distribution's NAME_UNKNOWN. The docs' registries (and ECR's API)
 * are all sent here, so no line reaches the network, and a line that gets as far as a registry fails there at once.
 */
const registries: Server[] = [];
after(() => {
  for (const server of registries) {
    server.closeAllConnections();
    server.close();
  }
});

async function emptyRegistry(): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
    res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  registries.push(server);
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return address.port;
}

before(async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first (node scripts/build.mjs)`);
  const { buildDemoImages } = (await import(pathToFileURL(join(ROOT, 'examples', 'demo-images.mjs')).href)) as {
    buildDemoImages(dir: string): Promise<void>;
  };
  base = makeTempDir('docs-base');
  await buildDemoImages(base);
  copyFileSync(join(ROOT, 'examples', 'taskdef.json'), join(base, 'taskdef.json'));
  await writeLegacyArchive(join(base, 'myapp.tar'), [{ image: await buildImage('arm64'), repoTags: ['myapp:1.0'] }]);
  for (const block of ALL_BLOCKS) {
    const name = markerValue(block, 'file');
    if (name === undefined) continue;
    mkdirSync(dirname(join(base, name)), { recursive: true });
    writeFileSync(join(base, name), `${block.code}\n`);
  }

  home = makeTempDir('docs-home');
  dockerConfig = makeTempDir('docs-docker-config');
  // The credentials example shows a login for registry.example.com as "deploy".
  writeFileSync(
    join(dockerConfig, 'config.json'),
    JSON.stringify({
      auths: { 'registry.example.com': { auth: Buffer.from('deploy:not-a-secret').toString('base64') } },
    }),
  );

  // Every registry the docs name is sent to a registry that knows no image, and so is ECR's API.
  const port = await emptyRegistry();
  const specs = readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(json|ya?ml)$/.test(f));
  const texts = [...DOCS.map(read), ...specs.map((f) => readFileSync(join(base, f), 'utf8'))];
  const hosts = new Set<string>(['docker.io']);
  for (const text of texts) {
    for (const m of text.matchAll(
      /(?<![\w.@-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?|localhost(?::\d+)?)\//gi,
    )) {
      hosts.add(m[1]!.toLowerCase());
    }
  }
  env = {
    PATH: process.env.PATH,
    HOME: home,
    NO_COLOR: '1',
    ARCHFIT_REGISTRY_HOSTS: [...hosts].map((h) => `${h}=127.0.0.1:${port}`).join(','),
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'docs-test-not-a-secret',
    AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}`,
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});

// ---------------------------------------------------------------------------------------------------------------
// docs/commands.md: help, flags, environment, codes

const COMMANDS_MD = 'docs/commands.md';

function program() {
  const sink = new Writable({ write: (_chunk, _encoding, cb) => cb() });
  return buildProgram({ stdout: sink, stderr: sink, env: {}, cwd: ROOT }, () => {});
}

test('docs/commands.md quotes `archfit --help` and every `archfit <command> --help` exactly as they print', async () => {
  const quoted = blocksOf(COMMANDS_MD).map((b) => b.code);
  const commands = program().commands.map((c) => c.name());
  assert.deepEqual(commands, ['inspect', 'copy', 'check', 'targets']);
  for (const args of [['--help'], ...commands.map((c) => [c, '--help'])]) {
    const r = await archfit(args);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\n+$/, '');
    assert.ok(
      quoted.includes(help),
      `${COMMANDS_MD} does not quote \`archfit ${args.join(' ')}\` as it prints now: ${UPDATE}. ` +
        `It prints:\n${help}`,
    );
  }
});

test('help output does not depend on the terminal: a fixed width, for the program and every subcommand', async () => {
  const commands = program().commands.map((c) => c.name());
  const out = process.stdout as { isTTY?: boolean; columns?: number };
  const saved = {
    isTTY: Object.getOwnPropertyDescriptor(out, 'isTTY'),
    columns: Object.getOwnPropertyDescriptor(out, 'columns'),
  };
  for (const args of [['--help'], ...commands.map((c) => [c, '--help'])]) {
    const piped = await archfit(args);
    const widths: string[] = [];
    for (const columns of [40, 200]) {
      Object.defineProperty(out, 'isTTY', { value: true, configurable: true, writable: true });
      Object.defineProperty(out, 'columns', { value: columns, configurable: true, writable: true });
      try {
        widths.push((await archfit(args)).stdout);
      } finally {
        for (const key of ['isTTY', 'columns'] as const) {
          const d = saved[key];
          if (d) Object.defineProperty(out, key, d);
          else delete out[key];
        }
      }
    }
    assert.deepEqual(widths, [piped.stdout, piped.stdout], `archfit ${args.join(' ')} changes with the terminal`);
    const longest = Math.max(...piped.stdout.split('\n').map((l) => l.length));
    assert.ok(longest <= HELP_WIDTH, `archfit ${args.join(' ')}: a line of ${longest} columns`);
    // Wrapped at the fixed width, not left unwrapped: some description is long enough to need it.
    assert.ok(longest > 80, `archfit ${args.join(' ')}: no line is longer than 80 columns; is the width applied?`);
  }
});

test('docs/commands.md explains every flag of every command in its section, outside the quoted help', () => {
  const text = prose(COMMANDS_MD);
  const mentions = (section: string, flag: string) =>
    new RegExp(`\`${flag.replace(/[-]/g, '\\-')}(?![\\w-])`).test(section);
  const root = program();
  for (const option of root.options) {
    assert.ok(
      mentions(text, option.long!),
      `${COMMANDS_MD}: \`${option.long}\` (archfit ${option.flags}) is not explained: ${UPDATE}`,
    );
  }
  for (const command of root.commands) {
    const heading = `## \`archfit ${command.name()}`;
    const start = text.indexOf(heading);
    assert.ok(start !== -1, `${COMMANDS_MD} has no section "${heading}…\`": ${UPDATE}`);
    const next = text.indexOf('\n## ', start + heading.length);
    const section = text.slice(start, next === -1 ? undefined : next);
    for (const option of command.options) {
      for (const flag of [option.long, option.short].filter((f): f is string => f !== undefined)) {
        assert.ok(
          mentions(section, flag),
          `${COMMANDS_MD}: \`${flag}\` of archfit ${command.name()} is not explained in its section: ${UPDATE}`,
        );
      }
    }
  }
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

test('docs/commands.md names every environment variable the code reads', () => {
  const text = prose(COMMANDS_MD);
  const names = new Set<string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(
      /envValue\(\s*\w+,\s*'([A-Z][A-Z0-9_]*)'\)|\benv\.([A-Z][A-Z0-9_]*)\b|\benv\['([A-Z][A-Z0-9_]*)'\]/g,
    )) {
      names.add((m[1] ?? m[2] ?? m[3])!);
    }
  }
  assert.ok(names.has('ARCHFIT_DEBUG') && names.has('DOCKER_CONFIG') && names.has('AWS_PROFILE'), [...names].join(' '));
  for (const name of names) {
    assert.ok(
      text.includes(`\`${name}\``),
      `${COMMANDS_MD} does not explain the environment variable ${name}: ${UPDATE}`,
    );
  }
});

test('docs/commands.md explains every error code and every reason code in a table row', () => {
  const text = prose(COMMANDS_MD);
  const verdict = readFileSync(join(ROOT, 'src', 'check', 'verdict.ts'), 'utf8');
  const verdictCodes = [...verdict.matchAll(/code: '([A-Z_0-9]+)'|'([A-Z_0-9]+)' : '([A-Z_0-9]+)'/g)].flatMap((m) =>
    [m[1], m[2], m[3]].filter((c): c is string => c !== undefined),
  );
  assert.ok(verdictCodes.includes('PLATFORM_MISSING') && verdictCodes.includes('OS_MISMATCH'), verdictCodes.join(' '));
  for (const code of new Set([...ERROR_CODES, ...verdictCodes, ...FINDING_CODES])) {
    assert.match(
      text,
      new RegExp(`^\\| \`${code}\` +\\|`, 'm'),
      `${COMMANDS_MD} has no table row for ${code}: ${UPDATE}`,
    );
  }
});

// ---------------------------------------------------------------------------------------------------------------
// docs/architecture.md: the modules and their arrows

test('docs/architecture.md lists every module of src/ with exactly the modules it imports', () => {
  const src = join(ROOT, 'src');
  const moduleOf = (path: string): string => {
    const rel = relative(src, path).split(sep);
    return rel.length === 1 ? rel[0]!.replace(/\.[jt]s$/, '') : rel[0]!;
  };
  const actual = new Map<string, Set<string>>();
  for (const file of sourceFiles(src)) {
    const from = moduleOf(file);
    if (from === 'index') continue;
    const deps = actual.get(from) ?? new Set<string>();
    actual.set(from, deps);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = moduleOf(resolve(dirname(file), m[1]!));
      if (to !== from) deps.add(to);
    }
  }
  const rows = new Map<string, Set<string>>();
  for (const m of read('docs/architecture.md').matchAll(
    /^\| `src\/([a-z-]+)(?:\/|\.ts)` +\|[^|\n]*\| *([^|\n]*?) *\|$/gm,
  )) {
    const imports = m[2]!.trim();
    rows.set(m[1]!, new Set(imports === '—' ? [] : imports.split(/,\s*/).map((s) => s.replace(/`/g, ''))));
  }
  for (const [module, deps] of actual) {
    const documented = rows.get(module);
    assert.ok(documented, `docs/architecture.md has no row for src/${module}: ${UPDATE}`);
    assert.deepEqual(
      [...documented].sort(),
      [...deps].sort(),
      `docs/architecture.md: what src/${module} imports: ${UPDATE}`,
    );
  }
  for (const module of rows.keys())
    assert.ok(actual.has(module), `docs/architecture.md lists src/${module}, which is gone`);
});

test('the docs quote the interfaces and types they show as they are in the source', () => {
  const blocks = ALL_BLOCKS.filter((b) => markerValue(b, 'quote') !== undefined);
  assert.ok(
    blocks.some((b) => b.file === 'docs/architecture.md'),
    'docs/architecture.md quotes no interface',
  );
  for (const block of blocks) {
    const [file, name] = markerValue(block, 'quote')!.split('#') as [string, string];
    const source = read(file);
    const asInterface = source.indexOf(`export interface ${name} `);
    const start = asInterface !== -1 ? asInterface : source.indexOf(`export type ${name} `);
    assert.ok(start !== -1, `${block.file}:${block.line} quotes ${name}, which ${file} no longer has`);
    const end = asInterface !== -1 ? source.indexOf('\n}\n', start) + 2 : source.indexOf('\n\n', start);
    assert.equal(
      block.code,
      source.slice(start, end).replace(/\n+$/, ''),
      `${block.file}:${block.line} is not ${name} as ${file} has it: ${UPDATE}`,
    );
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The library examples

test('README.md and docs/library.md quote the files in docs/examples verbatim, and library.md quotes every one', () => {
  const quotedInLibrary = new Set<string>();
  for (const block of ALL_BLOCKS) {
    const example = markerValue(block, 'example');
    if (example === undefined) continue;
    assert.ok(
      EXAMPLES.includes(example),
      `${block.file}:${block.line} quotes ${example}, which is not in docs/examples`,
    );
    assert.equal(
      block.code,
      read(example).replace(/\n+$/, ''),
      `${block.file}:${block.line} is not ${example} as it is now: copy the file into the doc`,
    );
    if (block.file === 'docs/library.md') quotedInLibrary.add(example);
  }
  assert.deepEqual([...quotedInLibrary].sort(), EXAMPLES, 'docs/library.md must quote every file of docs/examples');
  for (const block of blocksOf('docs/library.md').filter((b) => b.lang === 'ts')) {
    assert.ok(
      markerValue(block, 'example') ?? markerValue(block, 'quote'),
      `docs/library.md:${block.line}: a ts block that is neither a file of docs/examples nor quoted from src/`,
    );
  }
});

test('the examples in docs/examples compile, strict, against the library as it is in src/', async () => {
  // `tsc -p tsconfig.json` checks them too, against the built package's types (dist/types): this checks them against
  // the source itself, so a stale build can neither hide nor invent an error.
  const dir = makeTempDir('docs-tsc');
  const config = {
    extends: join(ROOT, 'tsconfig.json'),
    compilerOptions: {
      noEmit: true,
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      paths: { archfit: [join(ROOT, 'src', 'index.ts')] },
    },
    // All of src/, for its ambient declarations (a module's .d.ts), and the examples.
    include: [join(ROOT, 'src')],
    files: EXAMPLES.map((f) => join(ROOT, f)),
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await run(tsc, ['-p', join(dir, 'tsconfig.json')], ROOT, { PATH: process.env.PATH });
  assert.equal(r.code, 0, `docs/examples do not compile:\n${r.stdout}${r.stderr}`);
});

test('every example in docs/examples runs against the demo layouts and prints what the docs show', async (t) => {
  const outputs = new Map<string, Block[]>();
  for (const block of ALL_BLOCKS) {
    const example = markerValue(block, 'output');
    if (example?.startsWith('docs/')) outputs.set(example, [...(outputs.get(example) ?? []), block]);
  }
  const exampleEnv = { ...env, DOCKER_CONFIG: dockerConfig };
  for (const example of EXAMPLES) {
    await t.test(example, async () => {
      // demo-images.ts makes the layouts; every other example gets its own copy of them.
      const dir = example.endsWith('/demo-images.ts') ? join(makeTempDir('docs-example'), 'demo') : workdir();
      const result = await run(join(ROOT, example), [dir], ROOT, exampleEnv, ['--import', 'tsx']);
      assert.equal(result.code, 0, `${example} failed:\n${result.stderr}`);
      const shown = outputs.get(example) ?? [];
      assert.ok(
        shown.some((b) => b.file === 'docs/library.md'),
        `docs/library.md shows no output of ${example}`,
      );
      for (const block of shown) {
        assert.equal(
          result.stdout.replace(/\n+$/, ''),
          block.code,
          `${block.file}:${block.line} is not what ${example} prints now: ${UPDATE}`,
        );
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The sh blocks

const RUNNABLE = SH_BLOCKS.filter((b) => b.markers.includes('test: run'));
const OTHERS = SH_BLOCKS.filter((b) => !b.markers.includes('test: run'));

test('the runnable sh blocks of README.md and docs/*.md run against the demo layouts with the exit codes they state', async (t) => {
  const lines = RUNNABLE.flatMap(commandsOf);
  assert.ok(lines.length >= 20, `only ${lines.length} runnable archfit lines in the docs`);
  assert.ok(
    lines.some((l) => l.file === 'README.md'),
    'README.md has no runnable block',
  );
  for (const block of RUNNABLE) {
    const dir = workdir();
    for (const command of commandsOf(block)) {
      await t.test(`${command.file}:${command.line} ${command.text}`, async () => {
        const expected = Number(/^exit (\d)\b/.exec(command.comment)?.[1] ?? 0);
        const r = await run(CLI, command.args, dir, env);
        assert.equal(r.code, expected, `exit ${r.code}, the doc says ${expected}:\n${r.stdout}${r.stderr}`);
      });
    }
  }
});

test('every other archfit line of README.md and docs/*.md is accepted, and gets as far as asking the registry', async (t) => {
  const lines = OTHERS.flatMap(commandsOf);
  assert.ok(lines.length >= 5, `only ${lines.length} archfit lines outside runnable blocks`);
  for (const command of lines) {
    await t.test(`${command.file}:${command.line} ${command.text}`, async () => {
      const r = await run(CLI, command.args, workdir(), env);
      assert.notEqual(r.code, 2, `archfit rejects this line (exit 2):\n${r.stderr}`);
      if (r.code === 3) {
        assert.match(
          r.stderr,
          /(NAME|MANIFEST)_UNKNOWN|ECR_ERROR/,
          `it failed before it asked the registry:\n${r.stderr}`,
        );
      }
    });
  }
});

/** Digests and sizes depend on how the demo's layers were compressed (zlib builds differ); the rest may not. */
function normalised(text: string): string {
  return text
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/sha256:[0-9a-f]{12}\b/g, 'sha256:<short>')
    .replace(/\b\d+(?:\.\d+)? (?:B|KiB|MiB|GiB)\b/g, '<size>')
    .replace(/ {2,}/g, ' ')
    .replace(/\n+$/, '');
}

test('the command outputs the docs show are what archfit prints, digests and sizes aside', async (t) => {
  const blocks = ALL_BLOCKS.filter((b) => markerValue(b, 'output')?.startsWith('archfit '));
  assert.ok(blocks.length >= 3, `only ${blocks.length} command outputs in the docs`);
  for (const block of blocks) {
    const command = markerValue(block, 'output')!;
    await t.test(`${block.file}:${block.line} ${command}`, async () => {
      const r = await run(CLI, shellWords(command).words.slice(1), workdir(), env);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}:\n${r.stderr}`);
      assert.equal(
        normalised(r.stdout),
        normalised(block.code),
        `${block.file}:${block.line} is not what \`${command}\` prints now: ${UPDATE}. It prints:\n${r.stdout}`,
      );
    });
  }
});

test('the JSON examples of the docs have the keys and types archfit prints', async (t) => {
  const blocks = ALL_BLOCKS.filter((b) => markerValue(b, 'json') !== undefined);
  assert.ok(blocks.length >= 5, `only ${blocks.length} JSON examples`);
  for (const block of blocks) {
    const command = markerValue(block, 'json')!;
    await t.test(`${block.file}:${block.line} ${command}`, async () => {
      const { words } = shellWords(command);
      assert.equal(words[0], 'archfit');
      const r = await run(CLI, words.slice(1), workdir(), env);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}:\n${r.stderr}`);
      const problem = shapeDiff(JSON.parse(block.code), JSON.parse(r.stdout), '$');
      assert.equal(
        problem,
        undefined,
        `${block.file}:${block.line}: ${problem}: ${UPDATE}. archfit prints:\n${r.stdout}`,
      );
    });
  }
});

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** Where the doc's example differs in shape from real output: objects need the same keys, arrays' elements each match one real element. */
function shapeDiff(doc: unknown, real: unknown, path: string): string | undefined {
  if (typeOf(doc) !== typeOf(real)) return `${path} is ${typeOf(doc)} in the doc, ${typeOf(real)} in the output`;
  if (Array.isArray(doc) && Array.isArray(real)) {
    for (const [i, element] of doc.entries()) {
      const diffs = real.map((r) => shapeDiff(element, r, `${path}[${i}]`));
      if (!diffs.includes(undefined)) return diffs[0] ?? `${path}[${i}] is in the doc, the output's array is empty`;
    }
    return undefined;
  }
  if (typeOf(doc) === 'object') {
    const d = doc as Record<string, unknown>;
    const r = real as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!(key in d)) return `${path}.${key} is in the output, not in the doc`;
    for (const key of Object.keys(d)) {
      if (!(key in r)) return `${path}.${key} is in the doc, not in the output`;
      const diff = shapeDiff(d[key], r[key], `${path}.${key}`);
      if (diff) return diff;
    }
  }
  return undefined;
}
