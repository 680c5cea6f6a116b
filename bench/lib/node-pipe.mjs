// The least a Node.js registry → registry copy can do, for scale next to archfit: per blob one POST, then the source
// GET streamed through SHA-256 into one monolithic PUT (undici, the same modules archfit uses), 4 blobs at a time; then
// the manifests, read from the OCI layout the image came from. No existence checks, no retries, no plan, no
// platform logic. The digest of every blob is checked (a copy tool must), and the process start-up is part of the
// time, as it is for the tools.
//
//   node bench/lib/node-pipe.mjs PLAN.json
//
// PLAN.json: { src, srcRepo, dst, dstRepo, jobs, blobs: [{ digest, size }], manifests: [{ file, mediaType, ref }] }
// (src and dst are origins such as http://127.0.0.1:5000; manifests in push order, the tag last).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Transform } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import request from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';

setFlagsFromString('--liftoff-only'); // as the CLI does

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const agent = new Agent({ connections: 8 });
const call = (url, options) => {
  const u = new URL(url);
  return request.call(agent, { origin: u.origin, path: `${u.pathname}${u.search}`, ...options });
};

class Verify extends Transform {
  constructor(digest) {
    super();
    this.digest = digest;
    this.hash = createHash('sha256');
  }
  _transform(chunk, _encoding, callback) {
    this.hash.update(chunk);
    callback(null, chunk);
  }
  _flush(callback) {
    const actual = `sha256:${this.hash.digest('hex')}`;
    callback(actual === this.digest ? null : new Error(`${this.digest}: got ${actual}`));
  }
}

async function copyBlob(blob) {
  const post = await call(`${plan.dst}/v2/${plan.dstRepo}/blobs/uploads/`, { method: 'POST' });
  await post.body.dump();
  if (post.statusCode !== 202) throw new Error(`POST: HTTP ${post.statusCode}`);
  const put = new URL(post.headers.location, plan.dst);
  put.searchParams.set('digest', blob.digest);
  const get = await call(`${plan.src}/v2/${plan.srcRepo}/blobs/${blob.digest}`, { method: 'GET' });
  if (get.statusCode !== 200) throw new Error(`GET ${blob.digest}: HTTP ${get.statusCode}`);
  const body = get.body.pipe(new Verify(blob.digest));
  get.body.on('error', (error) => body.destroy(error));
  const res = await call(put.href, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body,
  });
  await res.body.dump();
  if (res.statusCode !== 201) throw new Error(`PUT ${blob.digest}: HTTP ${res.statusCode}`);
}

const queue = [...plan.blobs];
await Promise.all(
  Array.from({ length: plan.jobs }, async () => {
    for (let blob = queue.shift(); blob !== undefined; blob = queue.shift()) await copyBlob(blob);
  }),
);
for (const m of plan.manifests) {
  const res = await call(`${plan.dst}/v2/${plan.dstRepo}/manifests/${m.ref}`, {
    method: 'PUT',
    headers: { 'content-type': m.mediaType },
    body: readFileSync(m.file),
  });
  await res.body.dump();
  if (res.statusCode !== 201) throw new Error(`PUT manifest ${m.ref}: HTTP ${res.statusCode}`);
}
await agent.close();
