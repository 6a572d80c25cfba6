// WWW-Authenticate parsing by RFC 7235 §4.1 / RFC 9110 §11.6.1:
//   WWW-Authenticate = 1#challenge
//   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param = token BWS "=" BWS ( token / quoted-string )
// A header may hold several challenges, commas separate both challenges and
// parameters, quoted strings may contain commas and escapes, and parameters
// come in any order. Scheme and parameter names are case-insensitive.

export interface Challenge {
  /** lower case: "bearer", "basic" */
  scheme: string;
  /** parameter names in lower case */
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.i++;
  }
  /** spaces and commas (empty list elements are allowed) */
  skipSeparators(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.i++;
  }
  token(): string {
    const start = this.i;
    while (!this.done && TCHAR.test(this.peek())) this.i++;
    return this.s.slice(start, this.i);
  }
  quoted(): string | undefined {
    if (this.peek() !== '"') return undefined;
    this.i++;
    let out = '';
    while (!this.done) {
      const c = this.s[this.i++] as string;
      if (c === '"') return out;
      if (c === '\\' && !this.done) out += this.s[this.i++];
      else out += c;
    }
    return undefined; // unterminated
  }
}

/** Is what follows the cursor "token68" (then OWS and "," or the end)? */
function token68At(c: Cursor): string | undefined {
  let j = c.i;
  while (j < c.s.length && TOKEN68_CHAR.test(c.s[j] as string)) j++;
  if (j === c.i) return undefined;
  while (c.s[j] === '=') j++;
  let k = j;
  while (c.s[k] === ' ' || c.s[k] === '\t') k++;
  if (k < c.s.length && c.s[k] !== ',') return undefined;
  // "a=b" is a parameter, not token68 "a=" followed by junk: checked by the caller's order
  const text = c.s.slice(c.i, j);
  c.i = j;
  return text;
}

/** Is there "token BWS =" at the cursor (a parameter, not a new challenge)? */
function paramAhead(c: Cursor): boolean {
  let j = c.i;
  while (j < c.s.length && TCHAR.test(c.s[j] as string)) j++;
  if (j === c.i) return false;
  while (c.s[j] === ' ' || c.s[j] === '\t') j++;
  if (c.s[j] !== '=') return false;
  // "abc==" (token68) has a second "=" or nothing after the first
  let k = j + 1;
  while (c.s[k] === ' ' || c.s[k] === '\t') k++;
  return k < c.s.length && c.s[k] !== ',' && c.s[k] !== '=';
}

/**
 * Parse one or more WWW-Authenticate header values. Malformed parts end the
 * challenge they are in; what was parsed before them is kept.
 */
export function parseChallenges(headers: string | readonly string[] | undefined): Challenge[] {
  const values = headers === undefined ? [] : typeof headers === 'string' ? [headers] : headers;
  const out: Challenge[] = [];
  for (const value of values) {
    const c = new Cursor(value);
    for (;;) {
      c.skipSeparators();
      if (c.done) break;
      const scheme = c.token();
      if (!scheme) break; // garbage: stop reading this header
      const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
      out.push(challenge);
      c.skipSpace();
      if (!paramAhead(c)) {
        const t68 = token68At(c);
        if (t68 !== undefined) challenge.token68 = t68;
      }
      // parameters until the next challenge
      for (;;) {
        c.skipSeparators();
        if (c.done || !paramAhead(c)) break;
        const name = c.token().toLowerCase();
        c.skipSpace();
        c.i++; // "="
        c.skipSpace();
        const v = c.peek() === '"' ? c.quoted() : c.token();
        if (v === undefined) return out;
        if (!(name in challenge.params)) challenge.params[name] = v;
      }
    }
  }
  return out;
}
