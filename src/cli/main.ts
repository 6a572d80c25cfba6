// tsrun's entry point (dist/src/cli/main.js, launched by bin/tsrun).
// Global flags -> logging -> subcommand flags -> the subcommand's handler,
// which is loaded only when it runs. Errors end as runc's fatal() does: the
// last `error` log record, a plain line on stderr, exit status 1 (exec: 255).
import { TsrunError, UsageError } from '../errors';
import { configureLogging, log, reportFatal } from '../log';
import { writeAllSync } from '../write-all';
import { COMMANDS, findCommand, findSubcommand, type CommandDef } from './command-table';
import { fastParse, type ParsedCommand } from './fast-parse';
import { splitGlobalArgs } from './globals';
import type { CommandEnv, CommandHandler } from './commands/common';

export interface MainEnv extends CommandEnv {
  euid: number;
  xdgRuntimeDir?: string;
}

function defaultEnv(): MainEnv {
  return {
    cwd: process.cwd(),
    out: (text) => writeAllSync(1, text),
    euid: process.geteuid?.() ?? 0,
    xdgRuntimeDir: process.env.XDG_RUNTIME_DIR,
  };
}

/** Run one tsrun invocation; resolves to the exit status. */
export async function main(argv: readonly string[], env: MainEnv = defaultEnv()): Promise<number> {
  let def: CommandDef | undefined;
  try {
    const split = splitGlobalArgs(argv, env);
    try {
      configureLogging({ file: split.globals.log, format: split.globals.logFormat, debug: split.globals.debug });
    } catch (e) {
      throw new TsrunError(`open log file ${split.globals.log}: ${(e as Error).message}`, { cause: e });
    }
    if (split.version) {
      env.out((await import('./version')).versionText());
      return 0;
    }
    let command = split.command;
    let rest = split.rest;
    if (command === 'help' || command === 'h') {
      // `tsrun help [command]`
      command = rest[0];
      rest = ['--help'];
      if (command === undefined) split.help = true;
    }
    if (split.help || command === undefined) {
      env.out(await (await import('./yargs-parse')).globalHelp(split.globals.root));
      return 0;
    }
    def = findCommand(command);
    if (!def) throw new UsageError(`unknown command ${JSON.stringify(command)}${suggest(command)} (see tsrun --help)`);
    log.debug('tsrun invoked', { argv: [...argv] });
    if (def.subcommands) {
      const group = def;
      const sub = rest[0];
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        env.out((await import('./yargs-parse')).groupHelp(group));
        return 0;
      }
      def = findSubcommand(group, sub);
      if (!def) throw new UsageError(`unknown command ${JSON.stringify(`${group.name} ${sub}`)} (see tsrun ${group.name} --help)`);
      rest = rest.slice(1);
    }

    const parsed = await parseCommand(def, rest);
    if (parsed === 'help') {
      env.out(`${await (await import('./yargs-parse')).commandHelp(def)}\n`);
      return 0;
    }
    if (def.needsCgroupDriver && split.globals.systemdCgroup) throw systemdUnsupported(def);
    const handler = await loadHandler(def.name);
    return await handler(parsed, split.globals, env);
  } catch (e) {
    reportFatal(e);
    return exitCodeOf(e);
  }
}

async function parseCommand(def: CommandDef, tokens: readonly string[]): Promise<ParsedCommand | 'help'> {
  const fast = fastParse(def, tokens);
  if (fast.kind === 'parsed') return fast.parsed;
  if (fast.reason === 'help') return 'help';
  return (await import('./yargs-parse')).parseWithYargs(def, tokens);
}

function systemdUnsupported(def: CommandDef): TsrunError {
  return new UsageError(
    `${def.name}: --systemd-cgroup is not supported yet: tsrun has no systemd cgroup driver ` +
      '(cgroupsPath "slice:prefix:name" cannot be honoured); run without --systemd-cgroup ' +
      '(containerd: SystemdCgroup = false) and use a cgroupfs path',
  );
}

function exitCodeOf(e: unknown): number {
  return e instanceof TsrunError ? e.exitCode : 1;
}

function suggest(word: string): string {
  const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const scored = names
    .map((n) => ({ n, d: editDistance(n, word) - (n.startsWith(word) ? 0.5 : 0) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d);
  return scored[0] ? `; did you mean ${JSON.stringify(scored[0].n)}?` : '';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** One module per subcommand, imported only when it runs. */
async function loadHandler(name: string): Promise<CommandHandler> {
  switch (name) {
    case 'create':
      return (await import('./commands/create')).handler;
    case 'run':
      return (await import('./commands/run')).handler;
    case 'start':
      return (await import('./commands/start')).handler;
    case 'state':
      return (await import('./commands/state')).handler;
    case 'list':
      return (await import('./commands/list')).handler;
    case 'kill':
      return (await import('./commands/kill')).handler;
    case 'delete':
      return (await import('./commands/delete')).handler;
    case 'exec':
      return (await import('./commands/exec')).handler;
    case 'pause':
      return (await import('./commands/pause')).handler;
    case 'resume':
      return (await import('./commands/resume')).handler;
    case 'ps':
      return (await import('./commands/ps')).handler;
    case 'update':
      return (await import('./commands/update')).handler;
    case 'events':
      return (await import('./commands/events')).handler;
    case 'spec':
      return (await import('./commands/spec')).handler;
    case 'features':
      return (await import('./commands/features')).handler;
    case 'pull':
    case 'image pull':
      return (await import('./commands/pull')).handler;
    case 'images':
    case 'image ls':
      return (await import('./commands/images')).handler;
    case 'rmi':
    case 'image rm':
      return (await import('./commands/rmi')).handler;
    case 'image inspect':
      return (await import('./commands/image-inspect')).handler;
    case 'image prune':
      return (await import('./commands/image-prune')).handler;
    case 'image load':
      return (await import('./commands/image-load')).handler;
    case 'image save':
      return (await import('./commands/image-save')).handler;
    case 'network create':
      return (await import('./commands/network-create')).handler;
    case 'network ls':
      return (await import('./commands/network-ls')).handler;
    case 'network inspect':
      return (await import('./commands/network-inspect')).handler;
    case 'network rm':
      return (await import('./commands/network-rm')).handler;
    case 'network prune':
      return (await import('./commands/network-prune')).handler;
    case 'container run':
      return (await import('./commands/container-run')).handler;
    case 'container create':
      return (await import('./commands/container-create')).handler;
    case 'container start':
      return (await import('./commands/container-start')).handler;
    case 'container stop':
      return (await import('./commands/container-stop')).handler;
    case 'container kill':
      return (await import('./commands/container-kill')).handler;
    case 'container pause':
      return (await import('./commands/container-pause')).handler;
    case 'container unpause':
      return (await import('./commands/container-unpause')).handler;
    case 'container rm':
      return (await import('./commands/container-rm')).handler;
    case 'container ls':
      return (await import('./commands/container-ls')).handler;
    case 'container logs':
      return (await import('./commands/container-logs')).handler;
    case 'container inspect':
      return (await import('./commands/container-inspect')).handler;
    case 'container prune':
      return (await import('./commands/container-prune')).handler;
    case 'container exec':
      return (await import('./commands/container-exec')).handler;
    case 'volume create':
      return (await import('./commands/volume-create')).handler;
    case 'volume ls':
      return (await import('./commands/volume-ls')).handler;
    case 'volume rm':
      return (await import('./commands/volume-rm')).handler;
    case 'volume inspect':
      return (await import('./commands/volume-inspect')).handler;
    case 'volume prune':
      return (await import('./commands/volume-prune')).handler;
    case 'login':
      return (await import('./commands/login')).handler;
    case 'logout':
      return (await import('./commands/logout')).handler;
    default:
      throw new TsrunError(`internal error: no handler for ${name}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      // main() reports its own errors; this is a last resort
      writeAllSync(2, `tsrun: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
