// Shared plumbing for subcommand handlers: typed access to parsed flags and
// the runtime context handed to the operations.
import path from 'node:path';
import { UsageError } from '../../errors';
import type { RuntimeContext } from '../../container/operations';
import type { ParsedCommand } from '../fast-parse';
import type { GlobalOptions } from '../globals';
import { parseIntFlag } from '../values';

export interface CommandEnv {
  cwd: string;
  /** write to stdout synchronously (the process may exit right after) */
  out(text: string): void;
}

/** A subcommand: parsed argv in, exit status out; errors are thrown. */
export type CommandHandler = (p: ParsedCommand, globals: GlobalOptions, env: CommandEnv) => Promise<number>;

export function runtimeContext(g: GlobalOptions): RuntimeContext {
  return { root: g.root, rootExplicit: g.rootExplicit, systemdCgroup: g.systemdCgroup };
}

export function str(p: ParsedCommand, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A string flag given with a non-empty value (runc treats "" as unset). */
export function nonEmpty(p: ParsedCommand, name: string): string | undefined {
  const v = str(p, name);
  return v === undefined || v === '' ? undefined : v;
}

export function bool(p: ParsedCommand, name: string): boolean {
  return p.flags[name] === true;
}

/** undefined when the boolean flag was not given at all */
export function optionalBool(p: ParsedCommand, name: string): boolean | undefined {
  const v = p.flags[name];
  return typeof v === 'boolean' ? v : undefined;
}

export function list(p: ParsedCommand, name: string): string[] {
  const v = p.flags[name];
  return Array.isArray(v) ? v : [];
}

export function absPath(env: CommandEnv, value: string | undefined): string | undefined {
  return value === undefined ? undefined : path.resolve(env.cwd, value);
}

/** The container id: the first positional. */
export function id(p: ParsedCommand): string {
  return p.args[0] as string;
}

export function preserveFds(p: ParsedCommand): number {
  const v = str(p, 'preserve-fds');
  return v === undefined || v === '' ? 0 : parseIntFlag('preserve-fds', v, 0, 1 << 20);
}

export function format(p: ParsedCommand): 'table' | 'json' {
  const v = str(p, 'format') ?? 'table';
  if (v !== 'table' && v !== 'json') throw new UsageError(`invalid format option ${JSON.stringify(v)} (expected table or json)`);
  return v;
}
