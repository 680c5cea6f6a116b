import { ArchfitError } from '../../errors.js';
import type { CliIo } from '../run.js';

export async function inspectCommand(..._args: unknown[]): Promise<number> {
  throw new ArchfitError('INTERNAL', 'archfit inspect is not available in this version yet');
}
export type { CliIo };
