import { shortDigest } from '../../digest/index.js';
import { type InspectResult, inspectWithContext } from '../../inspect/index.js';
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
    if (flags.json) {
      io.stdout.write(json(result));
      return EXIT.ok;
    }
    printHuman(result, io, flags);
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
