// The deep check as the verdicts use it: for the image a verdict selected, trace its entrypoint through the layers
// and turn the findings into reasons (with the file, its layer, and the chain of paths followed).
import type { DeepAnalyzer, Reason } from '../check/index.js';
import { analyzeEntrypoint, type EntrypointAnalysis } from '../rootfs/index.js';

export function entrypointAnalyzer(): DeepAnalyzer {
  return async ({ cache, reference, entry, platform, signal }) => {
    const top = await cache.manifest(reference);
    const fetched = top.descriptor.digest === entry.digest ? top : await cache.manifest(entry.digest);
    if (fetched.parsed.kind !== 'image') return [];
    const config = await cache.config(fetched.parsed.manifest.config);
    const analysis = await analyzeEntrypoint(
      cache.store,
      { manifest: fetched, config },
      platform,
      signal ? { signal } : {},
    );
    return reasonsOf(analysis);
  };
}

export function reasonsOf(analysis: EntrypointAnalysis): Reason[] {
  return analysis.findings.map((f) => {
    const reason: Reason = {
      code: f.code,
      message: f.message,
      severity: f.severity,
      detail: {
        ...(f.detail ?? {}),
        ...(analysis.file ? { file: analysis.file } : {}),
        chain: analysis.chain,
        argv: analysis.argv,
      },
    };
    if (f.path !== undefined) reason.path = f.path;
    else if (analysis.path !== undefined) reason.path = analysis.path;
    const layer = f.layer ?? analysis.layer;
    if (layer !== undefined) reason.layer = layer;
    return reason;
  });
}
