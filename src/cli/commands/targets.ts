import { formatPlatform } from '../../platform/index.js';
import { listTargets } from '../../targets/index.js';
import { EXIT } from '../exit.js';
import { json, table, writeLine } from '../format.js';
import type { CliIo } from '../run.js';

export async function targetsCommand(flags: { json?: boolean }, io: CliIo): Promise<number> {
  const targets = listTargets();
  if (flags.json) {
    io.stdout.write(json(targets));
    return EXIT.ok;
  }
  writeLine(
    io.stdout,
    table(
      ['TARGET', 'RUNS', 'INDEX', 'SOURCE'],
      targets.map((t) => [
        t.usage,
        t.platforms.length > 0 ? t.platforms.map((p) => formatPlatform(p)).join(', ') : '(as given)',
        t.acceptsIndex ? 'yes' : 'no',
        t.source.kind === 'documented'
          ? (t.source.url ?? 'documented')
          : `${t.source.kind}${t.source.url ? `: ${t.source.url}` : ''}`,
      ]),
    ),
  );
  return EXIT.ok;
}
