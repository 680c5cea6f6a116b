// Small documents held in memory (configs, attestation payloads) are read through the same verified blob stream,
// with a cap so a hostile store cannot make archfit buffer without bound.
import { ArchfitError } from '../errors.js';
import { MAX_MANIFEST_BYTES, parseConfig } from './parse.js';
import type { ContentStore, StoreCallOptions } from './store.js';
import type { Descriptor, ImageConfig } from './types.js';

export async function readBlobBytes(
  store: ContentStore,
  descriptor: Descriptor,
  options: StoreCallOptions & { maxBytes?: number } = {},
): Promise<Uint8Array> {
  const max = options.maxBytes ?? MAX_MANIFEST_BYTES;
  if (descriptor.size > max) {
    throw new ArchfitError(
      'SIZE_LIMIT',
      `${store.description}: blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${max}-byte limit for documents`,
    );
  }
  const stream = await store.openBlob(descriptor, options.signal ? { signal: options.signal } : {});
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      stream.destroy();
      throw new ArchfitError('SIZE_LIMIT', `${store.description}: blob ${descriptor.digest} exceeds ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Fetches and validates an image config by its descriptor. */
export async function getConfig(
  store: ContentStore,
  descriptor: Descriptor,
  options: StoreCallOptions = {},
): Promise<ImageConfig> {
  const bytes = await readBlobBytes(store, descriptor, options);
  return parseConfig(bytes, { source: `${store.description}@${descriptor.digest}` });
}
