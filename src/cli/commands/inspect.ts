import { shortDigest } from '../../digest/index.js';
import { ArchfitError } from '../../errors.js';
import { type InspectResult, inspectWithContext } from '../../inspect/index.js';
import type { EntrypointAnalysis } from '../../rootfs/index.js';
import { CliContext, type RegistryFlags } from '../context.js';
import { EXIT } from '../exit.js';
import { humanSize, json, table, writeLine } from '../format.js';
import type { CliIo } from '../run.js';

export interface InspectFlags extends RegistryFlags {
  platform?: string;
  json?: boolean;
  raw?: boolean;
  config?: boolean;
  full?: boolean;
  deep?: boolean;
}

export async function inspectCommand(image: string, flags: InspectFlags, io: CliIo): Promise<number> {
  const ctx = new CliContext(io, flags);
  try {
    const opened = await ctx.open(image);
    const { result, context } = await inspectWithContext(opened.store, opened.reference, {
      ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
      full: flags.full === true,
      displayReference: opened.display,
    });
    if (flags.raw) {
      io.stdout.write(context.selectedManifest && flags.platform ? context.selectedManifest.bytes : context.top.bytes);
      return EXIT.ok;
    }
    if (flags.config) {
      const { readBlobBytes } = await import('../../image/index.js');
      const manifest = context.selectedManifest ?? context.top;
      if (manifest.parsed.kind !== 'image') {
        io.stderr.write('archfit: USAGE: --config needs a single image: add --platform to select one from the index\n');
        return EXIT.usage;
      }
      io.stdout.write(await readBlobBytes(opened.store, manifest.parsed.manifest.config));
      return EXIT.ok;
    }
    let deep: EntrypointAnalysis | undefined;
    if (flags.deep) {
      if (!flags.platform || !context.selectedManifest) {
        throw new ArchfitError(
          'USAGE',
          '--deep needs --platform: it analyses the image a host of that platform would run',
        );
      }
      const { analyzeEntrypoint } = await import('../../rootfs/index.js');
      deep = await analyzeEntrypoint(opened.store, { manifest: context.selectedManifest }, flags.platform);
    }
    if (flags.json) {
      io.stdout.write(json(deep ? { ...result, entrypoint: deep } : result));
      return EXIT.ok;
    }
    printHuman(result, io, flags);
    if (deep) printDeep(deep, io);
    return EXIT.ok;
  } finally {
    await ctx.close();
  }
}

function printHuman(result: InspectResult, io: CliIo, flags: InspectFlags): void {
  const out = io.stdout;
  const isIndex = result.kind === 'index';
  writeLine(out, `Reference:  ${result.reference}`);
  writeLine(out, `Digest:     ${result.digest}`);
  writeLine(out, `Media type: ${result.mediaType} (${isIndex ? 'index: several manifests' : 'single image manifest'})`);
  if (result.size !== null) writeLine(out, `Size:       ${humanSize(result.size)} compressed`);
  writeLine(out);
  const images = result.manifests.filter((m) => m.kind !== 'attestation');
  const attestations = result.manifests.filter((m) => m.kind === 'attestation');
  writeLine(
    out,
    table(
      ['PLATFORM', 'DIGEST', 'SIZE'],
      images.map((m) => [
        m.platform ?? (m.kind === 'artifact' ? '(artifact)' : '(none)'),
        shortDigest(m.digest),
        humanSize(m.imageSize),
      ]),
    ),
  );
  if (attestations.length > 0) {
    writeLine(out);
    writeLine(
      out,
      table(
        ['ATTESTATION', 'ATTESTS'],
        attestations.map((a) => {
          const subject = result.manifests.find((m) => m.digest === a.attests);
          return [shortDigest(a.digest), subject?.platform ?? (a.attests ? shortDigest(a.attests) : '(unknown)')];
        }),
      ),
    );
  }
  writeLine(out);
  if (!isIndex) {
    writeLine(out, `This image is single-platform: ${result.platforms[0] ?? 'unknown'} only.`);
  } else {
    writeLine(
      out,
      `${result.platforms.length} platform${result.platforms.length === 1 ? '' : 's'}: ${result.platforms.join(', ')}`,
    );
    if (result.size === null && !flags.platform) {
      writeLine(out, 'Sizes and the config cross-check need every child manifest: add --full.');
    }
  }
  if (result.selected) {
    const s = result.selected;
    const c = s.config;
    writeLine(out);
    writeLine(out, `Selected for ${flags.platform}: ${s.platform} ${s.digest}`);
    const rows: Array<[string, string]> = [
      ['OS/Arch', [c.os, c.architecture, c.variant].filter(Boolean).join('/')],
      ['Entrypoint', c.entrypoint ? JSON.stringify(c.entrypoint) : '(none)'],
      ['Cmd', c.cmd ? JSON.stringify(c.cmd) : '(none)'],
      ['User', c.user ?? '(root)'],
      ['WorkingDir', c.workingDir ?? '/'],
      ['Created', c.created ?? '(unknown)'],
      ['Layers', String(c.layers)],
      ['Size', `${humanSize(s.size)} compressed`],
    ];
    for (const [k, v] of rows) writeLine(out, `  ${`${k}:`.padEnd(12)}${v}`);
  }
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
}

function printDeep(a: EntrypointAnalysis, io: CliIo): void {
  const out = io.stdout;
  writeLine(out);
  writeLine(out, `Entrypoint: ${a.argv.length > 0 ? JSON.stringify(a.argv) : '(none)'}`);
  if (a.chain.length > 0) writeLine(out, `  path:   ${a.chain.join(' → ')}`);
  if (a.file) writeLine(out, `  file:   ${a.file}`);
  if (a.layer) writeLine(out, `  layer:  ${a.layer}`);
  for (let step = a.interpreter; step; step = step.next) {
    writeLine(out, `  ${step.role}: ${step.chain.join(' → ') || step.requested}${step.file ? ` (${step.file})` : ''}`);
  }
  writeLine(out, `  read:   ${a.layersRead} layer${a.layersRead === 1 ? '' : 's'}, ${humanSize(a.bytesRead)}`);
  if (a.findings.length === 0) writeLine(out, `  verdict: runs on ${a.platform.os}/${a.platform.architecture}`);
  for (const f of a.findings) writeLine(out, `  ${f.severity === 'warning' ? 'warning ' : ''}${f.code}: ${f.message}`);
}
