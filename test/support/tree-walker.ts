// Checks what a registry holds under a tag, from the outside and independently of archfit's own code (plain HTTP
// through ./registry-http.ts, JSON.parse, node:crypto): the manifest the tag points at, every child manifest of an
// index, every config and layer, each fetched whole and hashed against its descriptor (digest and size). Used after
// copies that were interrupted on purpose: a tag must never point at a tree that is missing or damaged.
import { createHash } from 'node:crypto';
import type { TestRegistry } from './registry.js';
import { ALL_MANIFEST_TYPES, RegistryHttpClient } from './registry-http.js';

export interface TreeReport {
  /** Whether the tag (or digest) exists at all. */
  exists: boolean;
  /** The digest of the bytes the tag serves. */
  digest?: string;
  manifests: number;
  blobs: number;
  bytes: number;
  /** Everything wrong with the tree, one line each; empty when it is whole. */
  problems: string[];
}

interface Desc {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  urls?: unknown;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** Layers a registry never holds (foreign / non-distributable, with URLs): their absence is not a problem. */
function isForeign(d: Desc): boolean {
  const mt = String(d.mediaType ?? '');
  return (
    (mt.includes('nondistributable') || mt === 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip') &&
    Array.isArray(d.urls) &&
    d.urls.length > 0
  );
}

/**
 * Walks `repo:ref` in `registry`. A missing tag is reported with `exists: false` and no problem; any other failure to
 * read, any digest or size that does not verify, and any missing child or blob is a problem.
 */
export async function walkTree(registry: TestRegistry, repo: string, ref: string): Promise<TreeReport> {
  const http = new RegistryHttpClient(registry);
  const report: TreeReport = { exists: false, manifests: 0, blobs: 0, bytes: 0, problems: [] };
  const seenBlobs = new Set<string>();

  const getManifest = async (reference: string): Promise<{ bytes: Buffer; status: number; type: string }> => {
    const res = await http.request('GET', `/v2/${repo}/manifests/${reference}`, {
      headers: { accept: ALL_MANIFEST_TYPES.join(', ') },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes, status: res.status, type: res.headers.get('content-type') ?? '' };
  };

  const checkBlob = async (d: Desc, where: string): Promise<void> => {
    if (isForeign(d)) return;
    const digest = String(d.digest);
    if (seenBlobs.has(digest)) return;
    seenBlobs.add(digest);
    const res = await http.request('GET', `/v2/${repo}/blobs/${digest}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) {
      report.problems.push(`${where}: blob ${digest} answers HTTP ${res.status}`);
      return;
    }
    if (sha256(bytes) !== digest) report.problems.push(`${where}: blob ${digest} hashes to ${sha256(bytes)}`);
    if (bytes.length !== d.size)
      report.problems.push(`${where}: blob ${digest} is ${bytes.length} bytes, not ${d.size}`);
    report.blobs++;
    report.bytes += bytes.length;
  };

  const visit = async (reference: string, expected: Desc | undefined, depth: number): Promise<void> => {
    const where = `${repo}@${reference}`;
    if (depth > 8) {
      report.problems.push(`${where}: nested deeper than 8 levels`);
      return;
    }
    const got = await getManifest(reference);
    if (got.status !== 200) {
      report.problems.push(`${where}: manifest answers HTTP ${got.status}`);
      return;
    }
    report.manifests++;
    const digest = sha256(got.bytes);
    if (expected) {
      if (digest !== expected.digest) report.problems.push(`${where}: manifest hashes to ${digest}`);
      if (got.bytes.length !== expected.size) {
        report.problems.push(`${where}: manifest is ${got.bytes.length} bytes, not ${expected.size}`);
      }
    }
    let doc: { mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
    try {
      doc = JSON.parse(got.bytes.toString('utf8'));
    } catch {
      report.problems.push(`${where}: manifest is not JSON`);
      return;
    }
    const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : got.type.split(';')[0]!.trim();
    if (INDEX_TYPES.has(mediaType) || Array.isArray(doc.manifests)) {
      for (const child of (doc.manifests as Desc[] | undefined) ?? []) {
        await visit(String(child.digest), child, depth + 1);
      }
      return;
    }
    const config = doc.config as Desc | undefined;
    if (!config) {
      report.problems.push(`${where}: image manifest without config`);
      return;
    }
    for (const d of [config, ...((doc.layers as Desc[] | undefined) ?? [])]) await checkBlob(d, where);
  };

  const top = await getManifest(ref);
  if (top.status === 404) return report;
  report.exists = true;
  report.digest = sha256(top.bytes);
  if (top.status !== 200) {
    report.problems.push(`${repo}:${ref}: answers HTTP ${top.status}`);
    return report;
  }
  await visit(report.digest, undefined, 0);
  return report;
}
