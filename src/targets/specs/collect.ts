// What a reader gathers from one spec file: workloads, skipped entries, each placed in the file.
import { ArchfitError } from '../../errors.js';
import { parseReference } from '../../reference/index.js';
import { resolveTarget } from '../resolve.js';
import type { ResolvedTarget, SkippedEntry, SpecSource, Workload } from '../types.js';
import type { ParsedText } from './parse-text.js';
import { formatPath, type PathSegment, rawPath } from './path.js';

/** Where an entry is: its document, its path, its name. */
export interface Place {
  path: readonly PathSegment[];
  name: string;
  /** The YAML document (0-based); 0 when the file has one. */
  document?: number;
}

/** A target spec and the assumption behind it, or why there is none. */
export type TargetChoice = { spec: string; note?: string } | { reason: string };

export class Collector {
  readonly workloads: Workload[] = [];
  readonly skipped: SkippedEntry[] = [];

  constructor(
    readonly file: string,
    private readonly text: ParsedText,
  ) {}

  source(place: Place): SpecSource {
    const document = place.document ?? 0;
    const source: SpecSource = { file: this.file, path: formatPath(place.path), name: place.name };
    if (this.text.documents.length > 1) source.document = document;
    const line = this.text.locate(document, rawPath(place.path));
    if (line !== undefined) source.line = line;
    return source;
  }

  skip(place: Place, reason: string, image?: string): void {
    const entry: SkippedEntry = { reason, source: this.source(place) };
    if (image !== undefined) entry.image = image;
    this.skipped.push(entry);
  }

  /**
   * Records a workload: `image` must be a string and a valid reference, and the target must be known; otherwise
   * the entry is skipped with the reason.
   */
  add(place: Place, image: unknown, choice: TargetChoice): void {
    if (image === undefined || image === null || image === '') {
      this.skip(place, 'no image');
      return;
    }
    if (typeof image !== 'string') {
      this.skip(place, `the image is not a string: ${describeValue(image)}`);
      return;
    }
    try {
      parseReference(image);
    } catch (error) {
      this.skip(place, error instanceof ArchfitError ? error.message : `invalid image reference`, image);
      return;
    }
    if ('reason' in choice) {
      this.skip(place, choice.reason, image);
      return;
    }
    let target: ResolvedTarget;
    try {
      target = resolveTarget(choice.spec);
    } catch (error) {
      // A value from the file (an architecture label, a platform) that names no target we know.
      if (!(error instanceof ArchfitError)) throw error;
      this.skip(place, error.message, image);
      return;
    }
    const workload: Workload = { image, target, source: this.source(place) };
    if (choice.note !== undefined) workload.note = choice.note;
    this.workloads.push(workload);
  }
}

/** A short rendering of a value for a message. */
export function describeValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string field, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
