// Copy progress on a terminal: one line per blob in flight (bytes and rate) and a total line, redrawn in place on
// stderr at most ten times a second. Off the terminal, nothing until the summary.
import type { CopyEvent } from '../copy/index.js';
import { shortDigest } from '../digest/index.js';
import { humanSize } from './format.js';

interface Active {
  size: number;
  bytes: number;
  started: number;
}

export class ProgressView {
  private readonly active = new Map<string, Active>();
  private done = 0;
  private total = 0;
  private bytes = 0;
  private totalBytes = 0;
  private drawn = 0;
  private last = 0;
  private readonly started = Date.now();

  constructor(private readonly stream: NodeJS.WritableStream) {}

  onEvent = (event: CopyEvent): void => {
    switch (event.type) {
      case 'plan':
        this.total = event.blobs;
        this.totalBytes = event.bytes;
        break;
      case 'blob-start':
        this.active.set(event.digest, { size: event.size, bytes: 0, started: Date.now() });
        break;
      case 'blob-progress': {
        const a = this.active.get(event.digest);
        if (a) a.bytes = event.bytes;
        break;
      }
      case 'blob-done':
        this.active.delete(event.digest);
        this.done++;
        this.bytes += event.size;
        break;
      default:
        return;
    }
    this.draw(false);
  };

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const lines: string[] = [];
    for (const [digest, a] of this.active) {
      const seconds = Math.max((now - a.started) / 1000, 0.001);
      const pct = a.size > 0 ? Math.floor((a.bytes / a.size) * 100) : 100;
      lines.push(
        `  ${shortDigest(digest)}  ${bar(pct)} ${String(pct).padStart(3)}%  ${humanSize(a.bytes)} / ${humanSize(a.size)}  ${humanSize(a.bytes / seconds)}/s`,
      );
    }
    const elapsed = Math.max((now - this.started) / 1000, 0.001);
    lines.push(
      `  blobs ${this.done}/${this.total}  ${humanSize(this.bytes)} / ${humanSize(this.totalBytes)}  ${elapsed.toFixed(1)} s`,
    );
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) out += `\x1b[2K${line}\n`;
    for (let i = lines.length; i < this.drawn; i++) out += '\x1b[2K\n';
    if (this.drawn > lines.length) out += `\x1b[${this.drawn - lines.length}A`;
    this.drawn = lines.length;
    this.stream.write(out);
  }

  /** Clears what was drawn, so the summary starts on a clean line. */
  finish(): void {
    if (this.drawn === 0) return;
    let out = `\x1b[${this.drawn}A`;
    for (let i = 0; i < this.drawn; i++) out += '\x1b[2K\n';
    out += `\x1b[${this.drawn}A`;
    this.stream.write(out);
    this.drawn = 0;
  }
}

function bar(pct: number): string {
  const width = 20;
  const filled = Math.round((pct / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
