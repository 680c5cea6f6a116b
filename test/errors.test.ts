import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArchfitError, errorKind, isArchfitError } from '../src/errors.js';

test('ArchfitError carries a stable code, a kind and a cause', () => {
  const cause = new Error('inner');
  const e = new ArchfitError('INVALID_REFERENCE', 'invalid reference "x"', { cause, details: { input: 'x' } });
  assert.equal(e.code, 'INVALID_REFERENCE');
  assert.equal(e.kind, 'invalid-input');
  assert.equal(e.cause, cause);
  assert.deepEqual(e.details, { input: 'x' });
  assert.ok(isArchfitError(e, 'INVALID_REFERENCE'));
  assert.ok(!isArchfitError(e, 'INVALID_PLATFORM'));
  assert.equal(errorKind('MANIFEST_UNKNOWN'), 'failure');
  assert.equal(errorKind('NO_MATCHING_PLATFORM'), 'answer-no');
});
