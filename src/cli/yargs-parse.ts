// The yargs side of the CLI, loaded only when needed: help output, and the
// command lines the fast parser hands over (grouped short flags like -dt,
// ambiguous values). Built from the same command table.
import type { Argv } from 'yargs';
import { UsageError } from '../errors';
import { COMMANDS, findFlag, type CommandDef } from './command-table';
import { checkArgCount, setValue, type FlagValue, type ParsedCommand } from './fast-parse';

const PARSER_CONFIG = {
  'camel-case-expansion': false,
  'boolean-negation': false,
  'dot-notation': false,
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'duplicate-arguments-array': true,
  'flatten-duplicate-arrays': true,
  'greedy-arrays': false,
  'strip-aliased': true,
  'populate--': false,
} as const;

function load(): (args: string[]) => Argv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yargs/yargs') as (args: string[]) => Argv;
}

function width(): number {
  return Math.min(110, process.stdout.columns || 100);
}

function commandParser(def: CommandDef, tokens: readonly string[]): Argv {
  let y = load()([...tokens])
    .scriptName('tsrun')
    .usage(`$0 ${def.name} [options]${def.usage ? ` ${def.usage}` : ''}\n\n${def.summary}${def.description ? `\n\n${def.description}` : ''}`)
    .parserConfiguration({ ...PARSER_CONFIG, 'halt-at-non-option': def.stopAtFirstPositional === true })
    .strictOptions()
    .help(false)
    .version(false)
    .exitProcess(false)
    .wrap(width())
    .fail((msg: string | null, err: Error | undefined) => {
      throw new UsageError(`tsrun ${def.name}: ${msg ?? err?.message ?? 'invalid arguments'} (see tsrun ${def.name} --help)`);
    });
  for (const f of def.flags) {
    const aliases = [...(f.short ? [f.short] : []), ...(f.aliases ?? [])];
    y = y.option(f.name, {
      alias: aliases,
      type: f.kind === 'boolean' ? 'boolean' : 'string',
      describe: f.describe,
      hidden: f.hidden === true,
      ...(f.defaultText ? { defaultDescription: f.defaultText } : {}),
    });
  }
  // -h means help unless the command has a flag -h (container run: the host name, as in Docker)
  return y.option('help', { alias: def.flags.some((f) => f.short === 'h') ? [] : 'h', type: 'boolean', describe: 'show help' });
}

/** Parse a subcommand's tokens with yargs; same result shape as fastParse(). */
export function parseWithYargs(def: CommandDef, tokens: readonly string[]): ParsedCommand | 'help' {
  const argv = commandParser(def, joinDashValues(def, tokens)).parseSync() as Record<string, unknown> & { _: (string | number)[] };
  if (argv.help === true) return 'help';
  const flags: Record<string, FlagValue> = {};
  for (const f of def.flags) {
    const v = argv[f.name];
    if (v === undefined) continue;
    if (f.kind === 'boolean') {
      flags[f.name] = Array.isArray(v) ? Boolean(v[v.length - 1]) : Boolean(v);
    } else {
      for (const item of Array.isArray(v) ? v : [v]) setValue(flags, f, String(item));
    }
  }
  const args = argv._.map(String);
  checkArgCount(def, args);
  return { def, flags, args };
}

/**
 * yargs reads `--resources -` as a flag without a value; runc reads "-"
 * (stdin). Join such pairs, up to where the command's own arguments start.
 */
function joinDashValues(def: CommandDef, tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    if (tok === '--' || ((!tok.startsWith('-') || tok === '-') && def.stopAtFirstPositional)) {
      out.push(...tokens.slice(i));
      break;
    }
    const name = tok.startsWith('--') ? tok.slice(2) : tok.length === 2 && tok.startsWith('-') ? tok.slice(1) : undefined;
    const flag = name === undefined || name.includes('=') ? undefined : findFlag(def, name);
    if (flag && flag.kind !== 'boolean' && i + 1 < tokens.length) {
      const next = tokens[++i] as string;
      out.push(next === '-' ? `${tok}=-` : tok, ...(next === '-' ? [] : [next]));
    } else {
      out.push(tok);
    }
  }
  return out;
}

export function commandHelp(def: CommandDef): Promise<string> {
  return helpText(commandParser(def, []));
}

export function globalHelp(defaultRoot: string): Promise<string> {
  let y = load()([])
    .scriptName('tsrun')
    .usage(
      '$0 [global options] <command> [command options] [arguments...]\n\n' +
        'tsrun: a runc-compatible Open Container Initiative runtime.\n' +
        'Global options go before the command; `tsrun <command> --help` shows its options.',
    )
    .parserConfiguration(PARSER_CONFIG)
    .help(false)
    .version(false)
    .exitProcess(false)
    .wrap(width())
    .options({
      root: { type: 'string', describe: 'root directory for storage of container state (this should be located in tmpfs)', defaultDescription: defaultRoot },
      log: { type: 'string', describe: "set the log file to write tsrun logs to (default is '/dev/stderr')" },
      'log-format': { type: 'string', describe: "set the log format ('text' (default), or 'json')", defaultDescription: 'text' },
      debug: { type: 'boolean', describe: 'enable debug logging' },
      'systemd-cgroup': { type: 'boolean', describe: 'use the systemd cgroup driver (cgroupsPath "slice:prefix:name"); not supported yet' },
      rootless: { type: 'string', describe: "ignore cgroup permission errors ('true', 'false', or 'auto')", defaultDescription: 'auto' },
      criu: { type: 'string', describe: 'accepted for compatibility and ignored (no checkpoint/restore)' },
      'image-root': { type: 'string', describe: 'image store directory (pull, images, ...)', defaultDescription: '/var/lib/tsrun; $XDG_DATA_HOME/tsrun for non-root' },
      'registries-config': { type: 'string', describe: 'registry settings file (certs.d/ is looked up beside it)', defaultDescription: '/etc/tsrun/registries.json' },
      help: { alias: 'h', type: 'boolean', describe: 'show help' },
      version: { alias: 'v', type: 'boolean', describe: 'print the version' },
    });
  for (const c of COMMANDS) y = y.command([c.name, ...(c.aliases ?? [])], c.summary);
  return helpText(y);
}

/** `tsrun image --help`: the group's commands. */
export function groupHelp(group: CommandDef): string {
  const subs = group.subcommands ?? [];
  const width = Math.max(...subs.map((c) => c.name.length));
  return (
    `Usage: tsrun ${group.name} COMMAND\n\n${group.summary}\n\nCommands:\n` +
    subs.map((c) => `  tsrun ${c.name.padEnd(width)}  ${c.summary}\n`).join('') +
    `\nRun 'tsrun ${group.name} COMMAND --help' for a command's options.\n`
  );
}

function helpText(y: Argv): Promise<string> {
  return y.getHelp();
}
