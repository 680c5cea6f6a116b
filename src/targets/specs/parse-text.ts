// Reading a spec file's text: JSON, or YAML (one or several documents) with the semantics of the tool that reads
// that kind of file, and positions so an entry can be reported with its line.
import { type Document, isMap, isNode, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { ArchfitError, quote } from '../../errors.js';
import { CLOUDFORMATION_TAGS } from './cfn-tags.js';

/**
 * How to read YAML: `1.1` is Kubernetes' and CloudFormation's YAML (go-yaml v2: `yes` is true, `0755` is octal);
 * `1.2` is Compose's. Both read `<<` merge keys; CloudFormation's short-form tags are understood in both.
 */
export type YamlVersion = '1.1' | '1.2';

export interface ParsedText {
  format: 'json' | 'yaml';
  /** The documents' values; an empty YAML document is null. JSON has one document. */
  documents: unknown[];
  /** The line (1-based) of the entry at `path` in a document, or of its nearest ancestor found; YAML only. */
  locate(document: number, path: readonly (string | number)[]): number | undefined;
}

export function invalidSpec(file: string, reason: string, details: Record<string, unknown> = {}, cause?: unknown) {
  return new ArchfitError('INVALID_SPEC', `invalid spec ${quote(file)}: ${oneLine(reason)}`, {
    cause,
    details: { file, ...details },
  });
}

/** The first line of a message, without a trailing colon (yaml appends a code excerpt after one). */
function oneLine(message: string): string {
  const first = message.split(/\r?\n/, 1)[0] ?? '';
  return first.replace(/:\s*$/, '').trim();
}

function isYamlFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

/** True when the text should be read as JSON: a `.json` file, or (not named `.yaml`) one that starts like JSON. */
export function looksLikeJson(text: string, file: string): boolean {
  if (/\.json$/i.test(file)) return true;
  if (isYamlFile(file)) return false;
  const first = /\S/.exec(text)?.[0];
  return first === '{' || first === '[';
}

function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: position - start + 1 };
}

function parseJson(text: string, file: string): ParsedText {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const where = position ? lineColumn(text, Number(position[1])) : undefined;
    const at = where ? ` (line ${where.line}, column ${where.column})` : '';
    throw invalidSpec(
      file,
      `not valid JSON: ${oneLine(message).replace(/ in JSON at position \d+.*$/, '')}${at}`,
      where ?? {},
      error,
    );
  }
  return { format: 'json', documents: [value], locate: () => undefined };
}

function parseYaml(text: string, file: string, version: YamlVersion): ParsedText {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, {
    version,
    merge: true,
    customTags: [...CLOUDFORMATION_TAGS],
    lineCounter,
  });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const documents: unknown[] = [];
  docs.forEach((doc, index) => {
    const error = doc.errors[0];
    if (error !== undefined) {
      const pos = error.linePos?.[0];
      const message = oneLine(error.message).replace(/ at line \d+, column \d+$/, '');
      const at = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
      throw invalidSpec(file, `not valid YAML: ${message}${at}`, pos ? { line: pos.line, column: pos.col } : {}, error);
    }
    try {
      // yaml's alias limit (100 by default) refuses "billion laughs" documents instead of expanding them.
      documents.push(doc.toJS());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const reason = /alias/i.test(message)
        ? `YAML aliases expand too far in document ${index + 1} (an alias bomb?): ${message}`
        : `cannot read YAML document ${index + 1}: ${message}`;
      throw invalidSpec(file, reason, { document: index }, error);
    }
  });
  return {
    format: 'yaml',
    documents,
    locate(document, path) {
      const doc = docs[document];
      if (doc === undefined) return undefined;
      // The deepest node of the path that the document holds as written (not through an alias or a merge); an
      // entry of a mapping is where its key is.
      for (let length = path.length; length >= 0; length--) {
        const parent =
          length === 0 ? undefined : length === 1 ? doc.contents : doc.getIn(path.slice(0, length - 1), true);
        const key = path[length - 1];
        if (isMap(parent) && typeof key === 'string') {
          const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
          if (pair !== undefined && isNode(pair.key) && pair.key.range)
            return lineCounter.linePos(pair.key.range[0]).line;
        }
        const node = length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

/**
 * Reads a spec file's text as JSON or YAML (see `looksLikeJson`).
 *
 * @throws ArchfitError INVALID_SPEC for text that is neither, naming the file, the line and the problem in one line.
 */
export function parseText(text: string, file: string, version: YamlVersion): ParsedText {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw invalidSpec(file, 'the file is empty');
  return looksLikeJson(body, file) ? parseJson(body, file) : parseYaml(body, file, version);
}
