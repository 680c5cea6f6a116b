// Pure verdicts: facts gathered about an image + a resolved target → one verdict per platform the target runs,
// each with reasons that carry stable codes and a fix in plain words. No I/O here.
import { formatPlatform, normalizePlatform, type Platform, platformMatcher } from '../platform/index.js';

export type ReasonCode =
  | 'PLATFORM_MISSING'
  | 'INDEX_NOT_ACCEPTED'
  | 'MEDIA_TYPE_NOT_ACCEPTED'
  | 'OS_MISMATCH'
  | 'CONFIG_PLATFORM_MISMATCH'
  | 'ARM32_ON_ARM64'
  | 'NO_ENTRYPOINT'
  | 'ENTRYPOINT_MISSING'
  | 'NOT_EXECUTABLE'
  | 'BINARY_ARCH_MISMATCH'
  | 'INTERPRETER_MISSING'
  | 'SHEBANG_CRLF'
  | 'SCRIPT_NO_SHEBANG'
  | (string & {});

export interface Reason {
  code: ReasonCode;
  message: string;
  severity?: 'error' | 'warning';
  /** Deep reasons: the file, the layer it came from, and what it is. */
  path?: string;
  layer?: string;
  detail?: Record<string, unknown>;
}

/** One runnable entry of the image: what the index (or the config, for a single manifest) says, and the config. */
export interface EntryFacts {
  digest: string;
  /** The platform the index entry claims (for a single manifest: the config's). */
  platform: Platform;
  /** The config's platform, when fetched. */
  configPlatform?: Platform;
}

export interface ImageFacts {
  /** The image as the user named it. */
  image: string;
  digest: string;
  mediaType: string;
  kind: 'index' | 'image';
  entries: EntryFacts[];
}

/** What a check needs of a target (src/targets resolves names into this). */
export interface TargetRule {
  /** The target as written ("apprunner", "ecs:arm64"); null for a bare --platform. */
  name: string | null;
  /** For messages: "App Runner". */
  title: string;
  platforms: Platform[];
  acceptsIndex: boolean;
  /** Platforms an index must list itself (Cloud Run: linux/amd64), not merely something compatible. */
  requiresInIndex?: Platform[];
  /** Accepted manifest media types; undefined: any. */
  mediaTypes?: readonly string[];
}

export interface Verdict {
  image: string;
  digest: string;
  target: string | null;
  platform: string;
  fits: boolean;
  /** The entry a host of this platform would run, when there is one. */
  selected?: EntryFacts;
  reasons: Reason[];
}

export interface VerdictOptions {
  /** How the fix names the source and destination in the suggested copy command. */
  copyHint?: { source: string; destination: string };
}

export function judge(facts: ImageFacts, target: TargetRule, options: VerdictOptions = {}): Verdict[] {
  const available = facts.entries.map((e) => normalizePlatform(e.platform));
  const availableText = facts.entries.map((e) => formatPlatform(e.platform));
  return target.platforms.map((wanted) => {
    const want = normalizePlatform(wanted);
    const wantText = formatPlatform(want);
    const reasons: Reason[] = [];
    const where = target.name === null ? wantText : target.title;

    const matcher = platformMatcher(want, 'compatible');
    let best: EntryFacts | undefined;
    let bestPlatform: Platform | undefined;
    facts.entries.forEach((entry, i) => {
      const p = available[i] as Platform;
      if (!matcher.match(p)) return;
      if (bestPlatform === undefined || matcher.less(p, bestPlatform)) {
        best = entry;
        bestPlatform = p;
      }
    });

    if (facts.kind === 'index' && !target.acceptsIndex) {
      const inIndex = best as EntryFacts | undefined;
      const fix = inIndex
        ? `Point it at the ${wantText} image manifest instead: by digest (${inIndex.digest}), or re-tag in place with ` +
          `archfit copy --platform ${wantText} ${facts.image} ${facts.image}`
        : `Build a single ${wantText} image manifest`;
      reasons.push({
        code: 'INDEX_NOT_ACCEPTED',
        message:
          `${facts.image} is an image index (${describeIndex(facts)}); ${where} accepts only a single image manifest ` +
          `(buildx wraps even one platform in an index when it adds provenance attestations). ${fix}; or build with --provenance=false.`,
      });
    }
    if (
      target.mediaTypes &&
      !target.mediaTypes.includes(facts.mediaType) &&
      (facts.kind !== 'index' || target.acceptsIndex)
    ) {
      reasons.push({
        code: 'MEDIA_TYPE_NOT_ACCEPTED',
        message: `${where} does not accept manifests of type ${facts.mediaType}; it accepts ${target.mediaTypes.join(', ')}.`,
      });
    }

    if (!best) {
      const sameArch = available.some((p) => p.architecture === want.architecture && p.os !== want.os);
      const only =
        availableText.length === 0
          ? 'no runnable platform is in this image'
          : `${availableText.length === 1 ? 'only ' : ''}${availableText.join(', ')} ${availableText.length === 1 ? 'is' : 'are'} in this image`;
      reasons.push({
        code: sameArch ? 'OS_MISMATCH' : 'PLATFORM_MISSING',
        message:
          `${only}; ${where} runs ${wantText}. ` +
          `Copy the ${want.architecture} variant from an image that has it: ${copyCommand(options, wantText)}, or build for ${wantText}.`,
      });
    } else {
      const required = target.requiresInIndex ?? [];
      if (facts.kind === 'index') {
        for (const r of required) {
          const m = platformMatcher(r, 'exact');
          if (!available.some((p) => m.match(p))) {
            reasons.push({
              code: 'PLATFORM_MISSING',
              message: `${where} needs ${formatPlatform(r)} listed in the index itself; this index has ${availableText.join(', ')}.`,
            });
          }
        }
      }
      const chosen = best as EntryFacts;
      if (chosen.configPlatform) {
        const claim = normalizePlatform(chosen.platform);
        const actual = normalizePlatform(chosen.configPlatform);
        if (claim.os !== actual.os || claim.architecture !== actual.architecture) {
          reasons.push({
            code: 'CONFIG_PLATFORM_MISMATCH',
            message: `the index entry ${chosen.digest} says ${formatPlatform(chosen.platform)} but its config says ${formatPlatform(chosen.configPlatform)}; the image was labelled wrongly when it was assembled.`,
          });
          if (!matcher.match(actual)) {
            reasons.push({
              code: 'PLATFORM_MISSING',
              message: `by its config the selected image is ${formatPlatform(actual)}, which ${where} (${wantText}) cannot run.`,
            });
          }
        }
      }
      const bp = bestPlatform as Platform;
      if (want.architecture === 'arm64' && bp.architecture === 'arm') {
        reasons.push({
          code: 'ARM32_ON_ARM64',
          severity: 'warning',
          message: `only a 32-bit ${formatPlatform(bp)} image matches; many arm64 machines (AWS Graviton 3 and later, Apple silicon) cannot run 32-bit arm code.`,
        });
      }
    }
    const verdict: Verdict = {
      image: facts.image,
      digest: facts.digest,
      target: target.name,
      platform: wantText,
      fits: !reasons.some((r) => r.severity !== 'warning'),
      reasons,
    };
    if (best) verdict.selected = best;
    return verdict;
  });
}

function describeIndex(facts: ImageFacts): string {
  const n = facts.entries.length;
  return `${n} platform${n === 1 ? '' : 's'}${n > 0 ? `: ${facts.entries.map((e) => formatPlatform(e.platform)).join(', ')}` : ''}`;
}

function copyCommand(options: VerdictOptions, platform: string): string {
  const src = options.copyHint?.source ?? 'SRC';
  const dst = options.copyHint?.destination ?? 'DST';
  return `archfit copy --platform ${platform} ${src} ${dst}`;
}
