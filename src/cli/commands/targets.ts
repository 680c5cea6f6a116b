import { ArchfitError } from '../../errors.js';
import type { CliIo } from '../run.js';

export async function targetsCommand(..._args: unknown[]): Promise<number> {
  throw new ArchfitError('INTERNAL', 'archfit targets is not available in this version yet');
}
export type { CliIo };
