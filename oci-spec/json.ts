// Reading JSON documents for the specs.
//
// Two things JSON.parse does not do for us:
//  - Integers above 2^53 (uint64 rlimits such as RLIM_INFINITY = 18446744073709551615,
//    memory.swappiness = 2^64-1 meaning "unset", seccomp argument masks) lose precision.
//    When the text holds such a literal, those integers come back as bigint, exactly.
//    Every other number stays a JS number.
//  - V8's syntax errors carry no line/column and may quote the whole document.
//    On failure a small scanner locates the first error and says what it expected.
import { SpecValidationError } from './errors';

/** A decimal integer literal needs at least 16 digits to exceed Number.MAX_SAFE_INTEGER. */
const POSSIBLY_UNSAFE_INTEGER = /\d{16}/;

/**
 * Parse a JSON document. Integer literals beyond ±(2^53-1) become bigint.
 * Throws SpecValidationError ("config.json: invalid JSON at line 3 column 5: ...").
 */
export function parseJsonText(text: string, file: string): unknown {
  // A UTF-8 byte order mark is not JSON, but editors write it; skip it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw describeSyntaxError(text, err, file);
  }
  if (!POSSIBLY_UNSAFE_INTEGER.test(text)) return value;
  return parseKeepingLargeIntegers(text);
}

/**
 * Re-parse an already valid document, turning unsafe integer literals into bigint:
 * each such literal is rewritten as a tagged string, which a reviver converts back.
 */
function parseKeepingLargeIntegers(text: string): unknown {
  const tag = `\u0000tsrun-int-${Math.random().toString(36).slice(2)}:`;
  let rewritten = '';
  let copiedUpTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = skipString(text, i);
      continue;
    }
    if (c === 0x2d /* - */ || isDigit(c)) {
      const start = i;
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const next = text.charCodeAt(i);
      if (next === 0x2e /* . */ || next === 0x65 /* e */ || next === 0x45 /* E */) {
        // not an integer literal: skip the rest of the number
        while (i < n && isNumberChar(text.charCodeAt(i))) i++;
        continue;
      }
      const literal = text.slice(start, i);
      if (literal.length > 15 && !Number.isSafeInteger(Number(literal))) {
        rewritten += text.slice(copiedUpTo, start) + JSON.stringify(tag + literal);
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  if (copiedUpTo === 0) return JSON.parse(text);
  rewritten += text.slice(copiedUpTo);
  return JSON.parse(rewritten, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith(tag) ? BigInt(v.slice(tag.length)) : v,
  );
}

/**
 * JSON.stringify that writes bigint values as exact integer literals (the
 * inverse of parseJsonText), so a config holding uint64 values above 2^53
 * survives a round trip through state.json.
 */
export function stringifyJson(value: unknown, space?: string | number): string {
  let tag: string | undefined;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      tag ??= `\u0000tsrun-int-${Math.random().toString(36).slice(2)}:`;
      return tag + v.toString();
    },
    space,
  );
  if (tag === undefined) return text;
  // the tag starts with U+0000, which JSON.stringify always escapes the same way
  const quoted = JSON.stringify(tag).slice(0, -1);
  return text.split(quoted).map((part, i) => (i === 0 ? part : part.replace(/^(-?\d+)"/, '$1'))).join('');
}

/** Index just past the string literal starting at `i` (text is known to be valid JSON). */
function skipString(text: string, i: number): number {
  i++;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

// ---------------------------------------------------------------------------
// Syntax error location

interface SyntaxProblem {
  /** offset of the offending character (text.length for "end of input") */
  at: number;
  problem: string;
}

class Stop {
  constructor(readonly found: SyntaxProblem) {}
}

function describeSyntaxError(text: string, err: unknown, file: string): SpecValidationError {
  let found: SyntaxProblem | undefined;
  try {
    new JsonScanner(text).document();
  } catch (e) {
    if (e instanceof Stop) found = e.found;
    // anything else (e.g. a stack overflow on absurd nesting): fall back to V8's words
  }
  if (!found) {
    const reason = err instanceof Error ? err.message : String(err);
    return new SpecValidationError(file, [{ jsonPath: '', expected: `invalid JSON: ${truncate(reason, 200)}` }]);
  }
  const { line, column } = lineAndColumn(text, found.at);
  return new SpecValidationError(file, [
    { jsonPath: '', expected: `invalid JSON at line ${line} column ${column}: ${found.problem}` },
  ]);
}

function lineAndColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}

/** A strict RFC 8259 scanner that only reports where the first error is. */
class JsonScanner {
  private i = 0;
  constructor(private readonly text: string) {}

  document(): void {
    this.ws();
    this.value('a JSON value');
    this.ws();
    if (this.i < this.text.length) this.fail('unexpected text after the end of the JSON document');
  }

  private value(what: string): void {
    const c = this.text[this.i];
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else if (c === 't') this.word('true');
    else if (c === 'f') this.word('false');
    else if (c === 'n') this.word('null');
    else this.fail(`expected ${what}`);
  }

  private object(): void {
    this.i++; // {
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.text[this.i] !== '"') this.fail('expected a property name in double quotes');
      this.string();
      this.ws();
      if (this.text[this.i] !== ':') this.fail("expected ':' after the property name");
      this.i++;
      this.ws();
      this.value('a value after the colon');
      this.ws();
      const c = this.text[this.i];
      if (c === '}') {
        this.i++;
        return;
      }
      if (c !== ',') this.fail("expected ',' or '}' after a property value");
      this.i++;
      this.ws();
      if (this.text[this.i] === '}') this.fail("expected a property name in double quotes (trailing commas are not allowed)");
    }
  }

  private array(): void {
    this.i++; // [
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value('an array element');
      this.ws();
      const c = this.text[this.i];
      if (c === ']') {
        this.i++;
        return;
      }
      if (c !== ',') this.fail("expected ',' or ']' after an array element");
      this.i++;
      this.ws();
      if (this.text[this.i] === ']') this.fail('expected an array element (trailing commas are not allowed)');
    }
  }

  private string(): void {
    const start = this.i;
    this.i++; // opening quote
    for (;;) {
      if (this.i >= this.text.length) {
        this.i = start;
        this.fail('unterminated string');
      }
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) this.fail('control character inside a string (write it as an escape such as \\n)');
      if (c === 0x5c) {
        const e = this.text[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.fail('invalid \\u escape (needs 4 hex digits)');
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail(`invalid escape sequence \\${e ?? ''} in a string`, false);
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }

  private number(): void {
    if (this.text[this.i] === '-') this.i++;
    if (this.text[this.i] === '0') {
      this.i++;
      if (this.isDigitAt()) this.fail('numbers must not have leading zeros');
    } else if (this.isDigitAt()) {
      while (this.isDigitAt()) this.i++;
    } else {
      this.fail('expected a digit');
    }
    if (this.text[this.i] === '.') {
      this.i++;
      if (!this.isDigitAt()) this.fail('expected a digit after the decimal point');
      while (this.isDigitAt()) this.i++;
    }
    if (this.text[this.i] === 'e' || this.text[this.i] === 'E') {
      this.i++;
      if (this.text[this.i] === '+' || this.text[this.i] === '-') this.i++;
      if (!this.isDigitAt()) this.fail('expected a digit in the exponent');
      while (this.isDigitAt()) this.i++;
    }
  }

  private word(w: string): void {
    for (let k = 0; k < w.length; k++) {
      if (this.text[this.i] !== w[k]) this.fail(`expected ${w}`);
      this.i++;
    }
  }

  private isDigitAt(): boolean {
    const c = this.text.charCodeAt(this.i);
    return c >= 0x30 && c <= 0x39;
  }

  private ws(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  private fail(problem: string, showFound = true): never {
    if (!showFound) throw new Stop({ at: this.i, problem });
    if (this.i >= this.text.length) throw new Stop({ at: this.text.length, problem: `${problem}, but the input ended` });
    const ch = this.text[this.i];
    const shown = ch === '\n' ? 'a line break' : ch === '\t' ? 'a tab' : JSON.stringify(ch);
    throw new Stop({ at: this.i, problem: `${problem}, got ${shown}` });
  }
}
