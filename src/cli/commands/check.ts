import { readFile } from 'node:fs/promises';
import { type CheckItem, type CheckResult, type CheckResultEntry, runChecks, toRule } from '../../check/index.js';
import { ArchfitError, quote } from '../../errors.js';
import { readSpec, type SkippedEntry } from '../../targets/index.js';
import { CliContext, type RegistryFlags } from '../context.js';
import { EXIT } from '../exit.js';
import { json, writeLine } from '../format.js';
import type { CliIo } from '../run.js';
import { platformRule, resolveTargetRule } from '../targets.js';

export interface CheckFlags extends RegistryFlags {
  target?: string[];
  platform?: string[];
  spec?: string;
  specType?: string;
  nodeArch?: string;
  resolve?: string[];
  deep?: boolean;
  json?: boolean;
}

export async function checkCommand(image: string | undefined, flags: CheckFlags, io: CliIo): Promise<number> {
  const targets = [
    ...(flags.target ?? []).map((t) => resolveTargetRule(t)),
    ...(flags.platform ?? []).map((p) => platformRule(p)),
  ];
  if (flags.spec !== undefined && image !== undefined) {
    throw new ArchfitError('USAGE', `give an image or --spec, not both (image ${quote(image)})`);
  }
  if (flags.spec === undefined && image === undefined) {
    throw new ArchfitError(
      'USAGE',
      'name an image and a --target or --platform, or give a deployment spec with --spec FILE',
    );
  }
  if (flags.spec === undefined && targets.length === 0) {
    throw new ArchfitError(
      'USAGE',
      `say where ${quote(image)} must run: --target T (see archfit targets) or --platform P`,
    );
  }
  const resolveMap = parseResolve(flags.resolve ?? []);

  const ctx = new CliContext(io, flags);
  try {
    const items: CheckItem[] = [];
    let skipped: SkippedEntry[] = [];
    if (flags.spec !== undefined) {
      let text: Buffer;
      try {
        text = await readFile(flags.spec);
      } catch (error) {
        throw new ArchfitError(
          'INVALID_SPEC',
          `cannot read spec file ${quote(flags.spec)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
          {
            cause: error,
          },
        );
      }
      const spec = readSpec(text, {
        file: flags.spec,
        ...(flags.specType ? { type: flags.specType as never } : {}),
        ...(flags.nodeArch
          ? {
              nodeArch: flags.nodeArch
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }
          : {}),
      });
      skipped = spec.skipped;
      for (const w of spec.workloads) {
        const location = resolveMap.get(w.image) ?? w.image;
        const handle = await ctx.open(location);
        items.push({
          store: handle.store,
          reference: handle.reference,
          image: w.image,
          key: location,
          targets: [toRule(w.target), ...targets],
          source: { file: w.source.file, path: w.source.path, name: w.source.name },
        });
      }
    } else {
      const location = resolveMap.get(image as string) ?? (image as string);
      const handle = await ctx.open(location);
      items.push({ store: handle.store, reference: handle.reference, image: handle.display, targets, source: null });
    }

    const deep = flags.deep ? (await import('../deep.js')).deepAnalyzer() : undefined;
    const result = await runChecks(items, {
      ...(deep ? { deep } : {}),
      copyHint: (item) => ({ source: '<upstream-image>', destination: item.image }),
    });
    if (flags.json) {
      io.stdout.write(json({ ...result, ...(flags.spec !== undefined ? { skipped } : {}) }));
    } else {
      printHuman(result, skipped, io);
    }
    return result.fits ? EXIT.ok : EXIT.no;
  } finally {
    await ctx.close();
  }
}

/** `--resolve IMAGE=LOCATION`: check the image a spec names as found elsewhere (a local layout before pushing). */
function parseResolve(values: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) {
      throw new ArchfitError('USAGE', `--resolve takes IMAGE=LOCATION, not ${quote(v)}`);
    }
    map.set(v.slice(0, eq), v.slice(eq + 1));
  }
  return map;
}

function printHuman(result: CheckResult, skipped: SkippedEntry[], io: CliIo): void {
  const out = io.stdout;
  for (const r of result.results) {
    writeLine(out, `${r.fits ? 'FITS    ' : 'NO FIT  '}${describe(r)}`);
    for (const reason of r.reasons) {
      writeLine(out, `    ${reason.severity === 'warning' ? 'warning ' : ''}${reason.code}: ${reason.message}`);
      if (reason.path)
        writeLine(out, `      at ${reason.path}${reason.layer ? ` (layer ${reason.layer.slice(0, 19)})` : ''}`);
    }
  }
  for (const s of skipped) {
    writeLine(out, `SKIPPED ${s.source.name} (${s.source.file}: ${s.source.path}): ${s.reason}`);
  }
  const bad = result.results.filter((r) => !r.fits).length;
  const total = result.results.length;
  writeLine(out);
  if (total === 1) writeLine(out, bad === 0 ? 'It fits.' : 'It does not fit.');
  else writeLine(out, bad === 0 ? `All ${total} verdicts fit.` : `${bad} of ${total} verdicts do not fit.`);
}

function describe(r: CheckResultEntry): string {
  const where = r.target ? `${r.target} (${r.platform})` : r.platform;
  const from = r.source ? `  [${r.source.name} in ${r.source.file}: ${r.source.path}]` : '';
  return `${r.image}  on ${where}${from}`;
}
