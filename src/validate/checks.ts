// Validation as an ordered list of small pure checks (runc's validator style).
// Checks run before any side effect; each returns findings, errors apart from
// warnings, and every finding names the JSON path it is about.

type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** JSON path in config.json, e.g. "linux.namespaces[2].type" */
  path: string;
  message: string;
}

/** A check sees the parsed config plus host facts, and must not touch the system. */
export type Check<Spec, Ctx> = (spec: Spec, ctx: Ctx) => Finding[];

export function error(path: string, message: string): Finding {
  return { severity: 'error', path, message };
}

export function warning(path: string, message: string): Finding {
  return { severity: 'warning', path, message };
}

export interface CheckResult {
  errors: Finding[];
  warnings: Finding[];
}

export function runChecks<Spec, Ctx>(checks: readonly Check<Spec, Ctx>[], spec: Spec, ctx: Ctx): CheckResult {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  for (const check of checks) {
    for (const f of check(spec, ctx)) (f.severity === 'error' ? errors : warnings).push(f);
  }
  return { errors, warnings };
}

/** "config.json: linux.namespaces[2].type: expected ..." */
export function formatFinding(file: string, f: Finding): string {
  return f.path ? `${file}: ${f.path}: ${f.message}` : `${file}: ${f.message}`;
}
