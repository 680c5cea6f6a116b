// Summaries of V8 CPU profiles (`node --cpu-prof`): self time per function, and inclusive time per source file, so a
// profile can be read in a terminal and quoted in NOTES.md.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Wall time covered by the profile, ms. */
  spanMs: number;
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  self: Array<{ name: string; ms: number }>;
  inclusive: Array<{ name: string; ms: number }>;
}

function shortUrl(url: string): string {
  if (url === '') return '';
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(/.*\/(dist|src)\//, '$1/');
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfById = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfById.set(id, (selfById.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfById) {
    const n = byId.get(id)!;
    const name = `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + us);
    if (n.callFrame.functionName !== '(idle)') busy += us;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      const key = shortUrl(frame.url) || frame.functionName;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return {
    file,
    spanMs: (p.endTime - p.startTime) / 1000,
    busyMs: busy / 1000,
    self: sorted(self),
    inclusive: sorted(inclusive),
  };
}

export function summarizeProfiles(dir: string, top = 20): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(join(dir, f), top));
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [`span ${s.spanMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms`, 'self time:'];
  for (const e of s.self) lines.push(`  ${e.ms.toFixed(1).padStart(8)} ms  ${e.name}`);
  lines.push('inclusive, by file:');
  for (const e of s.inclusive) lines.push(`  ${e.ms.toFixed(1).padStart(8)} ms  ${e.name}`);
  return lines.join('\n');
}
