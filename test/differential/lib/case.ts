// A differential case: a config.json (with the placeholders of bundle.ts)
// and the runtime flags to run it with.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Spec = { [k: string]: Json } & {
  process?: { args?: string[]; [k: string]: Json | undefined };
  linux?: { [k: string]: Json };
};

export interface DiffCase {
  /** e.g. "fixture docker.json", "generated #17 (seed 42)" */
  name: string;
  config: Spec;
  noNewKeyring?: boolean;
  /** the knobs a generated case was built from, printed with a divergence */
  summary?: string;
}

/**
 * The probe's arguments for a config: what it should look at besides its
 * fixed sections (the config's masked and read-only paths, its sysctls).
 */
export function probeArgs(config: Spec, extra: string[] = []): string[] {
  const linux = (config.linux ?? {}) as { maskedPaths?: string[]; readonlyPaths?: string[]; sysctl?: Record<string, string> };
  const args: string[] = [];
  for (const p of (linux.maskedPaths ?? []).slice(0, 64)) args.push('--masked', p);
  for (const p of (linux.readonlyPaths ?? []).slice(0, 64)) args.push('--readonly', p);
  for (const k of Object.keys(linux.sysctl ?? {}).slice(0, 64)) args.push('--sysctl', k);
  return [...args, ...extra];
}
