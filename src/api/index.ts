// The library's front door: the commands as functions that take image locations as users write them
// ("grafana/grafana:latest", "oci:DIR:TAG", "docker-archive:FILE") and return what the CLI prints as JSON.
// Nothing here reads the environment: pass `registry.credentials` (e.g. defaultCredentialStore({ env, homeDir }))
// to use the credentials docker would; without it registries are used anonymously.
import { type CheckResult, type DeepAnalyzer, runChecks, type TargetRule, toRule } from '../check/index.js';
import { type CopyOptions, type CopyResult, copy as copyStore } from '../copy/index.js';
import { type InspectOptions, type InspectResult, inspect as inspectStore } from '../inspect/index.js';
import { destinationReference, type ImageHandle, isImageHandle, openImage } from '../locate/index.js';
import { RegistryClient, type RegistryClientOptions } from '../registry/index.js';
import {
  platformTarget,
  type ReadSpecOptions,
  type ResolvedTarget,
  readSpec,
  resolveTarget,
  type SkippedEntry,
} from '../targets/index.js';

export interface ImageOptions {
  /** A registry client to share between calls (connections, tokens); one is made per call otherwise. */
  client?: RegistryClient;
  /** Options for the client made when `client` is not given. */
  registry?: RegistryClientOptions;
  signal?: AbortSignal;
}

type ImageInput = string | ImageHandle;

async function withImages<T>(
  inputs: Array<{ image: ImageInput; purpose: 'read' | 'write' | 'plan' }>,
  options: ImageOptions,
  fn: (handles: ImageHandle[]) => Promise<T>,
): Promise<T> {
  const client = options.client ?? new RegistryClient(options.registry ?? {});
  const opened: ImageHandle[] = [];
  try {
    const handles: ImageHandle[] = [];
    for (const { image, purpose } of inputs) {
      if (isImageHandle(image)) {
        handles.push(image);
        continue;
      }
      const handle = await openImage(image, { client, purpose, ...(options.signal ? { signal: options.signal } : {}) });
      opened.push(handle);
      handles.push(handle);
    }
    return await fn(handles);
  } finally {
    for (const h of opened) await h.close();
    if (!options.client) await client.close();
  }
}

/** The platforms of an image (the JSON of `archfit inspect`). */
export function inspect(image: ImageInput, options: InspectOptions & ImageOptions = {}): Promise<InspectResult> {
  return withImages([{ image, purpose: 'read' }], options, ([h]) =>
    inspectStore(h!.store, h!.reference, { displayReference: h!.display, ...options }),
  );
}

/** Copies an image (the JSON summary of `archfit copy`); progress arrives through `onEvent`. */
export function copy(
  source: ImageInput,
  destination: ImageInput,
  options: CopyOptions & ImageOptions = {},
): Promise<CopyResult> {
  return withImages(
    [
      { image: source, purpose: 'read' },
      { image: destination, purpose: options.dryRun ? 'plan' : 'write' },
    ],
    options,
    ([src, dst]) => {
      const dstRef = destinationReference(src!, dst!);
      return copyStore(src!.store, src!.reference, dst!.store, dstRef, {
        sourceReference: src!.display,
        destinationReference: dst!.display,
        ...options,
      });
    },
  );
}

export interface CheckOptions extends ImageOptions {
  /** Look inside the layers at the entrypoint (the deep check). */
  deep?: boolean | DeepAnalyzer;
}

/** Turns "apprunner", "ecs:arm64", "k8s:amd64,arm64" or a platform into the rule a check applies. */
export function targetRule(target: string | ResolvedTarget | TargetRule): TargetRule {
  if (typeof target !== 'string') {
    if ('spec' in target) return toRule(target, false);
    return target;
  }
  if (/^[a-z0-9]+\/[a-z0-9_]+/i.test(target)) return toRule(platformTarget(target), true);
  return toRule(resolveTarget(target), false);
}

async function deepOf(deep: CheckOptions['deep']): Promise<DeepAnalyzer | undefined> {
  if (!deep) return undefined;
  if (typeof deep === 'function') return deep;
  const { entrypointAnalyzer } = await import('./deep.js');
  return entrypointAnalyzer();
}

/** Will `image` run on each of `targets` (names like "apprunner", or platforms like "linux/arm64")? */
export function check(
  image: ImageInput,
  targets: Array<string | ResolvedTarget | TargetRule>,
  options: CheckOptions = {},
): Promise<CheckResult> {
  return withImages([{ image, purpose: 'read' }], options, async ([h]) => {
    const deep = await deepOf(options.deep);
    return runChecks(
      [{ store: h!.store, reference: h!.reference, image: h!.display, targets: targets.map(targetRule), source: null }],
      { ...(options.signal ? { signal: options.signal } : {}), ...(deep ? { deep } : {}) },
    );
  });
}

export interface CheckSpecOptions extends CheckOptions, Partial<ReadSpecOptions> {
  /** Check a spec's image as found at another location: { "123….dkr.ecr…/app:1": "oci:build/out:1" }. */
  resolve?: Record<string, string>;
}

/** Checks every image of a deployment spec against the target the spec itself implies. */
export async function checkSpec(
  contents: string | Uint8Array,
  options: CheckSpecOptions = {},
): Promise<CheckResult & { skipped: SkippedEntry[] }> {
  const spec = readSpec(contents, { ...options, file: options.file ?? 'spec' });
  const locations = spec.workloads.map((w) => options.resolve?.[w.image] ?? w.image);
  const unique = [...new Set(locations)];
  return withImages(
    unique.map((image) => ({ image, purpose: 'read' as const })),
    options,
    async (handles) => {
      const byLocation = new Map(unique.map((l, i) => [l, handles[i]!]));
      const deep = await deepOf(options.deep);
      const result = await runChecks(
        spec.workloads.map((w, i) => {
          const h = byLocation.get(locations[i]!)!;
          return {
            store: h.store,
            reference: h.reference,
            image: w.image,
            key: locations[i]!,
            targets: [targetRule(w.target)],
            source: { file: w.source.file, path: w.source.path, name: w.source.name },
          };
        }),
        { ...(options.signal ? { signal: options.signal } : {}), ...(deep ? { deep } : {}) },
      );
      return { ...result, skipped: spec.skipped };
    },
  );
}
