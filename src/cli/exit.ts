import { ArchfitError, type ErrorKind, errorKind, isArchfitError } from '../errors.js';

/** Exit codes shared by every command: 0 yes, 1 the answer is no, 2 usage or invalid input, 3 could not find out. */
export const EXIT = { ok: 0, no: 1, usage: 2, failure: 3 } as const;

export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'invalid-input':
      return EXIT.usage;
    case 'answer-no':
      return EXIT.no;
    default:
      return EXIT.failure;
  }
}

/** One line for stderr: the code and the message, nothing more (the stack only with --debug). */
export function describeError(error: unknown): { line: string; exitCode: number } {
  if (isArchfitError(error)) {
    return {
      line: `archfit: ${error.code}: ${firstLine(error.message)}`,
      exitCode: exitCodeFor(errorKind(error.code)),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `archfit: INTERNAL: ${firstLine(message)}`, exitCode: EXIT.failure };
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

export { ArchfitError };
