import { existsSync, rmSync } from 'node:fs';
import type { TargetRule } from '../../check/verdict.js';
import { type CopyResult, copy } from '../../copy/index.js';
import { isDigest } from '../../digest/index.js';
import { ArchfitError, isArchfitError, quote } from '../../errors.js';
import { parseLocalLocation } from '../../layout/index.js';
import { destinationReference } from '../../locate/index.js';
import { formatPlatform, parsePlatform } from '../../platform/index.js';
import { parseEcrHost } from '../../registry/credentials/index.js';
import { CliContext, type RegistryFlags } from '../context.js';
import { EXIT } from '../exit.js';
import { humanSize, json, writeLine } from '../format.js';
import { ProgressView } from '../progress.js';
import type { CliIo } from '../run.js';

export interface CopyFlags extends RegistryFlags {
  platform?: string[];
  target?: string;
  attestations?: boolean;
  createRepository?: boolean;
  jobs?: string;
  json?: boolean;
  progress?: boolean;
  dryRun?: boolean;
}

export async function copyCommand(source: string, destination: string, flags: CopyFlags, io: CliIo): Promise<number> {
  const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) {
    throw new ArchfitError('USAGE', `--jobs takes a whole number from 1 to 64, not ${quote(flags.jobs)}`);
  }
  const platforms = (flags.platform ?? []).map((p) => formatPlatform(parsePlatform(p)));
  // The target machinery (target tables, spec readers, verdicts) is loaded only for --target: a plain copy starts
  // sooner without it.
  const targeting = flags.target ? await loadTargeting() : undefined;
  const rule: TargetRule | undefined = targeting?.resolveTargetRule(flags.target!);
  const kept = platforms.length > 0 ? platforms : rule ? rule.platforms.map((p) => formatPlatform(p)) : [];

  const ctx = new CliContext(io, flags);
  const abort = new AbortController();
  const onSigint = () => abort.abort(new ArchfitError('ABORTED', 'interrupted: nothing was tagged at the destination'));
  process.once('SIGINT', onSigint);
  const showProgress = flags.progress ?? (io.stderr.isTTY === true && flags.json !== true);
  const progress = showProgress && flags.dryRun !== true ? new ProgressView(io.stderr) : undefined;
  // A layout directory this copy creates is removed again if the copy fails: no half-written destination.
  let cleanup: string | undefined;
  try {
    const src = await ctx.open(source, 'read', abort.signal);
    cleanup = newLayoutDirectory(destination);
    const dst = await ctx.open(destination, flags.dryRun ? 'plan' : 'write', abort.signal);
    const dstRef = destinationReference(src, dst);
    const dstDisplay = dst.explicitReference
      ? dst.display
      : dst.kind === 'registry'
        ? `${dst.parsed!.name}${isDigest(dstRef) ? '@' : ':'}${dstRef}`
        : `${destination}:${dstRef}`;

    if (flags.createRepository && dst.kind === 'registry' && parseEcrHost(dst.parsed!.registry) && !flags.dryRun) {
      const { createEcrRepository } = await import('../../registry/credentials/index.js');
      const { created } = await createEcrRepository({
        host: dst.parsed!.registry,
        repository: dst.parsed!.repository,
        env: ctx.env,
        homeDir: ctx.homeDir,
        signal: abort.signal,
      });
      if (created && !flags.json) writeLine(io.stderr, `Created ECR repository ${dst.parsed!.repository}.`);
    }

    let result: CopyResult;
    try {
      result = await copy(src.store, src.reference, dst.store, dstRef, {
        ...(kept.length > 0 ? { platforms: kept } : {}),
        attestations: flags.attestations !== false,
        ...(jobs !== undefined ? { jobs } : {}),
        dryRun: flags.dryRun === true,
        signal: abort.signal,
        sourceReference: src.display,
        destinationReference: dstDisplay,
        ...(progress ? { onEvent: progress.onEvent } : {}),
        ...(rule
          ? {
              beforePush: ({ platforms: result, topIsIndex, topMediaType }) => {
                const verdicts = targeting!.judge(
                  {
                    image: dstDisplay,
                    digest: '',
                    mediaType: topMediaType,
                    kind: topIsIndex ? 'index' : 'image',
                    entries: result.map((p) => ({ digest: '', platform: parsePlatform(p) })),
                  },
                  rule,
                  { copyHint: { source, destination } },
                );
                const failed = verdicts.flatMap((v) => v.reasons.filter((r) => r.severity !== 'warning'));
                if (failed.length > 0) {
                  throw new ArchfitError(
                    'DOES_NOT_FIT',
                    `refusing to copy: ${failed.map((r) => `${r.code}: ${r.message}`).join(' ')}`,
                  );
                }
              },
            }
          : {}),
      });
    } catch (error) {
      if (rule && isArchfitError(error, 'NO_MATCHING_PLATFORM')) {
        const available = (error.details.available as string[] | undefined) ?? [];
        throw new ArchfitError(
          'DOES_NOT_FIT',
          `refusing to copy: ${src.display} has ${available.length === 1 ? 'only ' : ''}${available.join(', ') || 'no runnable platform'}; ${rule.title} runs ${kept.join(', ')}. Nothing was pushed.`,
          { cause: error },
        );
      }
      if (isArchfitError(error, 'NAME_UNKNOWN') && dst.kind === 'registry' && parseEcrHost(dst.parsed!.registry)) {
        throw new ArchfitError(
          'NAME_UNKNOWN',
          `${error.message} (the ECR repository ${quote(dst.parsed!.repository)} does not exist: add --create-repository)`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      progress?.finish();
    }

    let confirmed: string | undefined;
    if (rule && !flags.dryRun) {
      // Re-read what the destination now serves, as a deployment would, and judge it.
      const { FactCache, gatherFacts, judge } = targeting!;
      const facts = await gatherFacts(new FactCache(dst.store, abort.signal), dstRef, dstDisplay);
      const verdicts = judge(facts, rule);
      const bad = verdicts.flatMap((v) => v.reasons.filter((r) => r.severity !== 'warning'));
      if (bad.length > 0) {
        throw new ArchfitError(
          'DOES_NOT_FIT',
          `copied, but ${dstDisplay} does not fit ${rule.title}: ${bad.map((r) => r.message).join(' ')}`,
        );
      }
      confirmed = `${dstDisplay} runs on ${rule.title} (${verdicts.map((v) => v.platform).join(', ')}).`;
    }

    cleanup = undefined;
    if (flags.json) {
      io.stdout.write(
        json({
          source: result.source,
          destination: result.destination,
          platforms: result.platforms,
          rewritten: result.rewritten,
          blobs: result.blobs,
          bytes: result.bytes,
          ...(flags.dryRun ? { dryRun: true } : {}),
        }),
      );
      return EXIT.ok;
    }
    const out = io.stdout;
    const verb = flags.dryRun ? 'Would copy' : 'Copied';
    writeLine(out, `${verb} ${result.source.reference} → ${result.destination.reference}`);
    writeLine(out, `  digest:    ${result.destination.digest}`);
    writeLine(out, `  platforms: ${result.platforms.join(', ') || '(unchanged)'}`);
    writeLine(
      out,
      `  blobs:     ${result.blobs.copied} ${flags.dryRun ? 'to copy' : 'copied'} (${humanSize(result.bytes)}), ${result.blobs.mounted} ${flags.dryRun ? 'to mount' : 'mounted'}, ${result.blobs.skipped} already there`,
    );
    if (result.rewritten) {
      writeLine(
        out,
        `  The destination index is new (digest ${result.destination.digest}, source ${result.source.digest}): signatures made over the source digest do not carry over.`,
      );
    } else if (result.destination.digest !== result.source.digest) {
      writeLine(
        out,
        `  The destination is the ${result.platforms[0] ?? 'selected'} image manifest itself (source index ${result.source.digest}).`,
      );
    }
    if (confirmed) writeLine(out, `  Confirmed: ${confirmed}`);
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await ctx.close();
    if (cleanup !== undefined && flags.dryRun !== true) rmSync(cleanup, { recursive: true, force: true });
  }
}

/** The directory of an `oci:` destination that does not exist yet (and that this copy will create). */
function newLayoutDirectory(location: string): string | undefined {
  if (!location.startsWith('oci:')) return undefined;
  const { path } = parseLocalLocation(location);
  return existsSync(path) ? undefined : path;
}

async function loadTargeting() {
  const [{ FactCache, gatherFacts }, { judge }, { resolveTargetRule }] = await Promise.all([
    import('../../check/gather.js'),
    import('../../check/verdict.js'),
    import('../targets.js'),
  ]);
  return { FactCache, gatherFacts, judge, resolveTargetRule };
}
