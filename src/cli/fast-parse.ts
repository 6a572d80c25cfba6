// The argv parser on tsrun's hot path. Loading and running yargs costs more CPU
// than Node's own start-up, and engines call tsrun several times per container,
// so plain command lines (long and one-letter flags, --flag value,
// --flag=value) are parsed here, from the same command table. It reports
// precise errors for unknown flags and missing values, and hands anything
// else (--help, grouped short flags such as -dt) to the yargs parser.
import { UsageError } from '../errors';
import { findFlag, type CommandDef, type FlagDef } from './command-table';

export type FlagValue = string | boolean | string[];

export interface ParsedCommand {
  def: CommandDef;
  /** values by canonical flag name; absent when not given */
  flags: Record<string, FlagValue>;
  /** positionals: the id and whatever follows it */
  args: string[];
}

export type FastParseResult =
  | { kind: 'parsed'; parsed: ParsedCommand }
  /** help requested, or syntax this parser leaves to yargs */
  | { kind: 'delegate'; reason: 'help' | 'syntax' };

export function fastParse(def: CommandDef, tokens: readonly string[]): FastParseResult {
  const flags: Record<string, FlagValue> = {};
  const args: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    if (def.stopAtFirstPositional && args.length > 0) {
      args.push(...tokens.slice(i));
      break;
    }
    if (tok === '--') {
      args.push(...tokens.slice(i + 1));
      break;
    }
    if (!tok.startsWith('-') || tok === '-') {
      args.push(tok);
      continue;
    }
    if (tok === '--help' || (tok === '-h' && !findFlag(def, 'h'))) return { kind: 'delegate', reason: 'help' };

    let name: string;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      inline = eq < 0 ? undefined : tok.slice(eq + 1);
    } else if (tok.length === 2) {
      name = tok.slice(1);
    } else if (tok[2] === '=') {
      name = tok.slice(1, 2);
      inline = tok.slice(3);
    } else {
      // -dt (grouped letters) or -bundle (Go style): yargs decides
      return { kind: 'delegate', reason: 'syntax' };
    }
    const flag = findFlag(def, name);
    if (!flag) throw unknownFlag(def, tok);

    if (flag.kind === 'boolean') {
      if (inline === undefined) flags[flag.name] = true;
      else if (inline === 'true' || inline === 'false') flags[flag.name] = inline === 'true';
      else return { kind: 'delegate', reason: 'syntax' };
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined) throw new UsageError(`flag needs an argument: ${tok} (tsrun ${def.name})`);
      // a value that looks like a flag is ambiguous; yargs has its own rule for it
      if (next.startsWith('-') && next !== '-' && !/^-\d/.test(next)) return { kind: 'delegate', reason: 'syntax' };
      value = next;
      i++;
    }
    setValue(flags, flag, value);
  }
  checkArgCount(def, args);
  return { kind: 'parsed', parsed: { def, flags, args } };
}

export function setValue(flags: Record<string, FlagValue>, flag: FlagDef, value: string): void {
  if (flag.kind === 'list') {
    const prev = flags[flag.name];
    flags[flag.name] = Array.isArray(prev) ? [...prev, value] : [value];
  } else {
    flags[flag.name] = value;
  }
}

/** runc's checkArgs wording, plus what the arguments are. */
export function checkArgCount(def: CommandDef, args: readonly string[]): void {
  const { min, max } = def.args;
  const usage = `usage: tsrun ${def.name}${def.usage ? ` ${def.usage}` : ''}`;
  if (min === max && args.length !== min) {
    throw new UsageError(`tsrun: ${JSON.stringify(def.name)} requires exactly ${min} argument(s) (${usage})`);
  }
  if (args.length < min) throw new UsageError(`tsrun: ${JSON.stringify(def.name)} requires a minimum of ${min} argument(s) (${usage})`);
  if (args.length > max) throw new UsageError(`tsrun: ${JSON.stringify(def.name)} requires a maximum of ${max} argument(s) (${usage})`);
}

function unknownFlag(def: CommandDef, tok: string): UsageError {
  return new UsageError(`flag provided but not defined: ${tok} (see tsrun ${def.name} --help)`);
}
