// Checks on the text of config.json, once it parses as JSON: what JSON.parse
// accepts but a strict reader (Go's encoding/json, runc's) does not, or reads
// differently. Each is small and pure, like the config checks, and names the
// JSON path.
//  - A byte order mark: not JSON (RFC 8259 §8.1); runc refuses it.
//  - The same key twice in one object: JSON.parse keeps the last, other
//    parsers the first, so what a scanner or an engine checked may not be
//    what runs.
import { formatJsonPath } from '../../oci-spec/validate';
import { error, type Check, type Finding } from './checks';

/** config.json as read: its text, and the document JSON.parse made of it. */
export interface JsonDocument {
  text: string;
  doc: unknown;
}

const checkByteOrderMark: Check<JsonDocument, undefined> = ({ text }) =>
  text.charCodeAt(0) === 0xfeff
    ? [error('', 'starts with a byte order mark (U+FEFF), which JSON does not allow (runc refuses it too); save it as UTF-8 without a BOM')]
    : [];

/**
 * Fast path first (create pays for it on every call): the text has as many
 * object members as the parsed document has keys unless a key repeats. Only
 * then, or when the text has an escaped quote the count cannot see past, the
 * exact token scan finds where.
 */
const checkDuplicateKeys: Check<JsonDocument, undefined> = ({ text, doc }) =>
  text.includes('\\"') || membersInText(text) !== keysInDocument(doc) ? duplicateKeyFindings(text) : [];

/** In order; run by loadBundleConfig on config.json once it has parsed as JSON. */
export const jsonTextChecks: readonly Check<JsonDocument, undefined>[] = [checkByteOrderMark, checkDuplicateKeys];

/** Strings followed by ':' in JSON text without escaped quotes: its object members. */
function membersInText(text: string): number {
  let members = 0;
  for (let i = 0; ; ) {
    const open = text.indexOf('"', i);
    if (open < 0) return members;
    let j = text.indexOf('"', open + 1) + 1;
    if (j === 0) return members;
    let c = text.charCodeAt(j);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++j);
    if (c === 0x3a) members++;
    i = j;
  }
}

function keysInDocument(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += keysInDocument(x);
    return n;
  }
  for (const k in v) n += 1 + keysInDocument((v as Record<string, unknown>)[k]);
  return n;
}

/** Strings and the structural characters of JSON text; numbers, literals and whitespace fall between. */
const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]/g;

interface Frame {
  /** keys of an object so far; undefined in an array */
  keys?: Set<string>;
  /** the array index, or the key whose value comes next */
  at: string | number;
  /** in an object: the next string is a key */
  expectKey: boolean;
}

/**
 * Each key that occurs twice in one object, with its JSON path. Runs on
 * valid JSON (after the parser accepted it), token by token with a native
 * regular expression: a character loop in JavaScript would cost milliseconds
 * of `create` start-up before the JIT warms up.
 */
function duplicateKeyFindings(text: string): Finding[] {
  const found: Finding[] = [];
  const stack: Frame[] = [];
  const pathOf = (key: string) => formatJsonPath([...stack.slice(0, -1).map((f) => f.at), key]);
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const tok = m[0];
    const top = stack[stack.length - 1];
    switch (tok) {
      case '{':
        stack.push({ keys: new Set(), at: '', expectKey: true });
        break;
      case '[':
        stack.push({ at: 0, expectKey: false });
        break;
      case '}':
      case ']':
        stack.pop();
        break;
      case ',':
        if (top?.keys) top.expectKey = true;
        else if (top) top.at = (top.at as number) + 1;
        break;
      case ':':
        if (top) top.expectKey = false;
        break;
      default:
        if (top?.keys && top.expectKey) {
          const key = tok.includes('\\') ? (JSON.parse(tok) as string) : tok.slice(1, -1);
          if (top.keys.has(key)) {
            found.push(error(pathOf(key), `duplicate key ${JSON.stringify(key)} in one object: JSON readers disagree on which value wins`));
          }
          top.keys.add(key);
          top.at = key;
        }
    }
  }
  return found;
}
