// Global flags come before the subcommand (go-runc: --root R --debug --log F
// --log-format json --systemd-cgroup --rootless=<bool>). They are split off
// here by hand: the first token that is not a global flag (or its value) is
// the subcommand, and everything after it belongs to that subcommand.
import path from 'node:path';
import { UsageError } from '../errors';
import type { LogFormat } from '../log';
import { parseBoolOrAuto, parseGoBool } from './values';

export interface GlobalOptions {
  /** absolute state root */
  root: string;
  /** --root was given (list: a missing explicit root is an error) */
  rootExplicit: boolean;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
  rootless: boolean | 'auto';
  systemdCgroup: boolean;
  /** accepted and ignored (no checkpoint/restore) */
  criu?: string;
  /** --image-root (absolute); the image commands pick the default when absent */
  imageRoot?: string;
  /** --registries-config (absolute); default /etc/tsrun/registries.json */
  registriesConfig?: string;
}

export interface SplitArgv {
  globals: GlobalOptions;
  /** --help/-h or --version/-v given among the global flags */
  help: boolean;
  version: boolean;
  /** the subcommand token, if any */
  command?: string;
  /** everything after the subcommand */
  rest: string[];
}

const VALUE_FLAGS = new Set(['root', 'log', 'log-format', 'criu', 'image-root', 'registries-config']);
const BOOL_FLAGS = new Set(['debug', 'systemd-cgroup']);

export interface GlobalEnv {
  euid: number;
  xdgRuntimeDir?: string;
  cwd: string;
}

/** /run/tsrun as root; $XDG_RUNTIME_DIR/tsrun for others when that variable is non-empty. */
function defaultRoot(env: GlobalEnv): string {
  if (env.euid !== 0 && env.xdgRuntimeDir) return path.join(env.xdgRuntimeDir, 'tsrun');
  return '/run/tsrun';
}

export function splitGlobalArgs(argv: readonly string[], env: GlobalEnv): SplitArgv {
  const raw: Record<string, string> = {};
  const bools: Record<string, boolean> = {};
  let rootless: boolean | 'auto' = 'auto';
  let help = false;
  let version = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (tok === '--') {
      i++;
      break;
    }
    if (!tok.startsWith('-') || tok === '-') break;
    if (tok === '-h' || tok === '--help') {
      help = true;
      continue;
    }
    if (tok === '-v' || tok === '--version') {
      version = true;
      continue;
    }
    if (!tok.startsWith('--')) throw unknownGlobal(tok);
    const eq = tok.indexOf('=');
    const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
    const inline = eq < 0 ? undefined : tok.slice(eq + 1);
    if (VALUE_FLAGS.has(name)) {
      let value = inline;
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        value = argv[++i] as string;
      }
      raw[name] = value;
    } else if (BOOL_FLAGS.has(name)) {
      const b = inline === undefined ? true : parseGoBool(inline);
      if (b === undefined) throw new UsageError(`invalid boolean value ${JSON.stringify(inline)} for --${name}`);
      bools[name] = b;
    } else if (name === 'rootless') {
      // runc's --rootless takes a value; a bare --rootless means true
      const next = argv[i + 1];
      if (inline !== undefined) rootless = parseBoolOrAuto(inline);
      else if (next !== undefined && (parseGoBool(next) !== undefined || next.toLowerCase() === 'auto')) {
        rootless = parseBoolOrAuto(next);
        i++;
      } else rootless = true;
    } else {
      throw unknownGlobal(tok);
    }
  }

  const logFormat = raw['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json' && logFormat !== '') {
    throw new UsageError(`invalid log-format: ${logFormat}`);
  }
  const globals: GlobalOptions = {
    root: defaultRoot(env),
    rootExplicit: raw.root !== undefined,
    logFormat: logFormat === 'json' ? 'json' : 'text',
    debug: bools.debug ?? false,
    rootless,
    systemdCgroup: bools['systemd-cgroup'] ?? false,
  };
  if (raw.root !== undefined) {
    const root = path.resolve(env.cwd, raw.root);
    if (root === '/') throw new UsageError('Option --root argument should not be set to /');
    globals.root = root;
  }
  if (raw.log) globals.log = path.resolve(env.cwd, raw.log);
  if (raw.criu !== undefined) globals.criu = raw.criu;
  if (raw['image-root']) globals.imageRoot = path.resolve(env.cwd, raw['image-root']);
  if (raw['registries-config']) globals.registriesConfig = path.resolve(env.cwd, raw['registries-config']);

  const command = argv[i];
  return { globals, help, version, command, rest: argv.slice(i + 1) };
}

function unknownGlobal(tok: string): UsageError {
  return new UsageError(
    `flag provided but not defined: ${tok} (global flags are --root, --log, --log-format, --debug, --rootless, ` +
      '--systemd-cgroup, --criu, --image-root, --registries-config; command flags go after the command; see tsrun --help)',
  );
}
