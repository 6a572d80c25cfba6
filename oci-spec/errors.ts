// The one error type of oci-spec: a document (config.json, a --process file, a
// --resources file, an image manifest...) is not what the spec says it must be.
// The runtime wraps it in its own ConfigError; oci-spec stays free of src/.

/** One problem found in a document. */
export interface SpecIssue {
  /** JSON path with dots and [i] indices, e.g. "linux.namespaces[2].type"; "" for the document itself */
  jsonPath: string;
  /** what the spec expects there, e.g. "expected a number, got string" */
  expected: string;
}

/**
 * A problem as a schema check reports it, before it is worded: the fields of
 * zod's issues that the wording uses (zod's own issues have this shape, and so
 * do those of the compiled checks in runtime-checks.ts).
 */
export type SchemaIssue = { path: (string | number)[] } & (
  | { code: 'invalid_type'; expected: string; received: string }
  | { code: 'invalid_enum_value'; options: (string | number)[]; received: string | number }
  | { code: 'invalid_string'; validation: string; message: string }
  | { code: 'invalid_literal'; expected: unknown }
  | { code: 'unrecognized_keys'; keys: string[] }
  /** any other problem, worded by its message */
  | { code: 'custom'; message: string }
);

/** Issues listed in a message beyond the first; the rest are counted. */
const LISTED_ISSUES = 5;

export class SpecValidationError extends Error {
  /** the document's name as the user knows it: "config.json", the --process path, ... */
  readonly file: string;
  /** path of the first issue */
  readonly jsonPath: string;
  /** what was expected at the first issue */
  readonly expected: string;
  /** every issue found, first one first */
  readonly issues: readonly SpecIssue[];

  constructor(file: string, issues: readonly SpecIssue[]) {
    if (issues.length === 0) throw new TypeError('SpecValidationError needs at least one issue');
    super(formatIssues(file, issues));
    this.name = 'SpecValidationError';
    this.file = file;
    this.jsonPath = issues[0].jsonPath;
    this.expected = issues[0].expected;
    this.issues = issues;
  }
}

/** "config.json: process.user.uid: expected a number, got string", one line per issue. */
export function formatIssue(file: string, issue: SpecIssue): string {
  return issue.jsonPath ? `${file}: ${issue.jsonPath}: ${issue.expected}` : `${file}: ${issue.expected}`;
}

function formatIssues(file: string, issues: readonly SpecIssue[]): string {
  const lines = issues.slice(0, LISTED_ISSUES).map((i) => formatIssue(file, i));
  const rest = issues.length - LISTED_ISSUES;
  if (rest > 0) lines.push(`${file}: ... and ${rest} more problem${rest === 1 ? '' : 's'}`);
  return lines.join('\n');
}
