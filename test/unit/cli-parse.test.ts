import { describe, expect, it } from 'vitest';
import { COMMANDS, findCommand, findSubcommand } from '../../src/cli/command-table';
import { fastParse, type ParsedCommand } from '../../src/cli/fast-parse';
import { splitGlobalArgs } from '../../src/cli/globals';
import { parseWithYargs } from '../../src/cli/yargs-parse';
import { UsageError } from '../../src/errors';

const env = { euid: 0, cwd: '/work', xdgRuntimeDir: '/run/user/0' };

function cmd(name: string) {
  const def = findCommand(name);
  if (!def) throw new Error(`no command ${name}`);
  return def;
}

function parse(name: string, tokens: string[]): ParsedCommand {
  const r = fastParse(cmd(name), tokens);
  if (r.kind !== 'parsed') throw new Error(`fast parser delegated (${r.reason}) for ${tokens.join(' ')}`);
  return r.parsed;
}

/** argv as engines send it, split into globals + command, then parsed. */
function full(argv: string[]) {
  const split = splitGlobalArgs(argv, env);
  return { split, parsed: parse(split.command as string, split.rest) };
}

describe('global flags', () => {
  it('parses go-runc order with both --flag value and --flag=value', () => {
    const s = splitGlobalArgs(
      ['--root', '/run/containerd/runc/default', '--debug', '--log=/b/log.json', '--log-format', 'json', '--systemd-cgroup', '--rootless=true', 'state', 'x'],
      env,
    );
    expect(s.globals).toEqual({
      root: '/run/containerd/runc/default',
      rootExplicit: true,
      log: '/b/log.json',
      logFormat: 'json',
      debug: true,
      rootless: true,
      systemdCgroup: true,
    });
    expect(s.command).toBe('state');
    expect(s.rest).toEqual(['x']);
  });

  it('defaults: /run/tsrun as root, text logs, rootless auto', () => {
    const s = splitGlobalArgs(['list'], env);
    expect(s.globals).toMatchObject({ root: '/run/tsrun', rootExplicit: false, logFormat: 'text', debug: false, rootless: 'auto', systemdCgroup: false });
  });

  it('uses $XDG_RUNTIME_DIR/tsrun only for non-root and only when non-empty', () => {
    expect(splitGlobalArgs(['list'], { ...env, euid: 1000 }).globals.root).toBe('/run/user/0/tsrun');
    expect(splitGlobalArgs(['list'], { ...env, euid: 1000, xdgRuntimeDir: '' }).globals.root).toBe('/run/tsrun');
    expect(splitGlobalArgs(['list'], { ...env, euid: 0 }).globals.root).toBe('/run/tsrun');
  });

  it('makes --root and --log absolute and refuses /', () => {
    const s = splitGlobalArgs(['--root', 'st', '--log', 'l.json', 'list'], env);
    expect(s.globals.root).toBe('/work/st');
    expect(s.globals.log).toBe('/work/l.json');
    expect(() => splitGlobalArgs(['--root', '/', 'list'], env)).toThrow('should not be set to /');
  });

  it('accepts bare --rootless and --rootless <bool|auto>', () => {
    expect(splitGlobalArgs(['--rootless', 'state', 'x'], env)).toMatchObject({ command: 'state', globals: { rootless: true } });
    expect(splitGlobalArgs(['--rootless', 'false', 'state', 'x'], env)).toMatchObject({ command: 'state', globals: { rootless: false } });
    expect(splitGlobalArgs(['--rootless', 'auto', 'list'], env)).toMatchObject({ command: 'list', globals: { rootless: 'auto' } });
    expect(() => splitGlobalArgs(['--rootless=maybe', 'list'], env)).toThrow(UsageError);
  });

  it('accepts and ignores --criu', () => {
    expect(splitGlobalArgs(['--criu', '/usr/sbin/criu', 'list'], env)).toMatchObject({ command: 'list', globals: { criu: '/usr/sbin/criu' } });
  });

  it('rejects unknown global flags, bad --log-format and a missing value', () => {
    expect(() => splitGlobalArgs(['--bogus', 'list'], env)).toThrow('flag provided but not defined: --bogus');
    expect(() => splitGlobalArgs(['--log-format', 'xml', 'list'], env)).toThrow('invalid log-format: xml');
    expect(() => splitGlobalArgs(['--root'], env)).toThrow('flag needs an argument: --root');
  });

  it('recognises --version/-v and --help/-h', () => {
    expect(splitGlobalArgs(['--version'], env).version).toBe(true);
    expect(splitGlobalArgs(['-v'], env).version).toBe(true);
    expect(splitGlobalArgs(['-h'], env).help).toBe(true);
    expect(splitGlobalArgs([], env).command).toBeUndefined();
  });
});

describe('contract argv shapes (what engines send)', () => {
  it('shim create', () => {
    const { parsed } = full(['--root', '/r', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', '--console-socket', '/tmp/pty1/pty.sock', 'c1']);
    expect(parsed.flags).toEqual({ bundle: '/b', 'pid-file': '/b/init.pid', 'console-socket': '/tmp/pty1/pty.sock' });
    expect(parsed.args).toEqual(['c1']);
  });

  it('conmon exec and shim exec, any flag order', () => {
    const a = full(['exec', '--pid-file', 'P', '--process', 'F', '--detach', '--tty', '--console-socket', 'S', 'c1']).parsed;
    const b = full(['exec', '--process', 'F', '--console-socket', 'S', '--detach', '--pid-file', 'P', 'c1']).parsed;
    expect(a.args).toEqual(['c1']);
    expect(a.flags).toEqual({ 'pid-file': 'P', process: 'F', detach: true, tty: true, 'console-socket': 'S' });
    expect(b.flags).toEqual({ process: 'F', 'console-socket': 'S', detach: true, 'pid-file': 'P' });
  });

  it('kill shapes', () => {
    expect(full(['kill', 'c1', '9']).parsed).toMatchObject({ flags: {}, args: ['c1', '9'] });
    expect(full(['kill', '--all', 'c1', '9']).parsed).toMatchObject({ flags: { all: true }, args: ['c1', '9'] });
    expect(full(['kill', 'c1']).parsed.args).toEqual(['c1']);
  });

  it('ps: everything after the id is positional, even -ef', () => {
    expect(full(['ps', '--format', 'table', 'c1', '-ef']).parsed).toMatchObject({ flags: { format: 'table' }, args: ['c1', '-ef'] });
    expect(full(['ps', '--format', 'json', 'c1']).parsed).toMatchObject({ flags: { format: 'json' }, args: ['c1'] });
    expect(full(['ps', '--format=table', 'c1', 'aux', '--sort', 'pid']).parsed.args).toEqual(['c1', 'aux', '--sort', 'pid']);
  });

  it('exec with a command: flags stop at the id', () => {
    const p = full(['exec', '-t', '--env', 'A=1', '-e', 'B=2', 'c1', 'sh', '-c', 'echo -n hi']).parsed;
    expect(p.flags).toEqual({ tty: true, env: ['A=1', 'B=2'] });
    expect(p.args).toEqual(['c1', 'sh', '-c', 'echo -n hi']);
  });

  it('update --resources - and --resources=-', () => {
    expect(full(['update', '--resources', '-', 'c1']).parsed).toMatchObject({ flags: { resources: '-' }, args: ['c1'] });
    expect(full(['update', '--resources=-', 'c1']).parsed).toMatchObject({ flags: { resources: '-' }, args: ['c1'] });
    expect(full(['update', '--memory-swap', '-1', 'c1']).parsed.flags).toEqual({ 'memory-swap': '-1' });
    expect(full(['update', '--cpu-shares', '512', 'c1']).parsed.flags).toEqual({ 'cpu-share': '512' });
  });

  it('other go-runc and runtime-tools forms', () => {
    expect(full(['list', '--format=json']).parsed.flags).toEqual({ format: 'json' });
    expect(full(['events', '--stats', 'c1']).parsed.flags).toEqual({ stats: true });
    expect(full(['events', '--interval=5s', 'c1']).parsed.flags).toEqual({ interval: '5s' });
    expect(full(['delete', '--force', 'c1']).parsed.flags).toEqual({ force: true });
    expect(full(['rm', '-f', 'c1']).parsed.def.name).toBe('delete');
    expect(full(['ls', '-q']).parsed.flags).toEqual({ quiet: true });
    expect(full(['create', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', '--detach', '--pidfd-socket', 'P', '--bundle', 'B', 'c1']).parsed.flags).toEqual({
      'no-pivot': true,
      'no-new-keyring': true,
      'preserve-fds': '2',
      detach: true,
      'pidfd-socket': 'P',
      bundle: 'B',
    });
    expect(full(['run', '-b', 'B', '-d', '--keep', 'c1']).parsed.flags).toEqual({ bundle: 'B', detach: true, keep: true });
    expect(full(['create', '--pid-file', 'P', '--bundle', 'B', 'c1']).parsed.args).toEqual(['c1']);
    expect(full(['spec', '--rootless', '-b', '/tmp/b']).parsed.flags).toEqual({ rootless: true, bundle: '/tmp/b' });
  });

  it('commands without trailing args also accept flags after the id', () => {
    expect(full(['delete', 'c1', '--force']).parsed).toMatchObject({ flags: { force: true }, args: ['c1'] });
  });

  it('boolean --flag=true|false', () => {
    expect(full(['delete', '--force=false', 'c1']).parsed.flags).toEqual({ force: false });
  });
});

describe('usage errors', () => {
  it('unknown flags', () => {
    expect(() => parse('state', ['--bogus', 'c1'])).toThrow('flag provided but not defined: --bogus');
    expect(() => parse('exec', ['-x', 'c1', 'sh'])).toThrow('flag provided but not defined: -x');
  });

  it('missing or extra ids', () => {
    expect(() => parse('state', [])).toThrow('"state" requires exactly 1 argument(s)');
    expect(() => parse('state', ['a', 'b'])).toThrow('"state" requires exactly 1 argument(s)');
    expect(() => parse('exec', ['--tty'])).toThrow('"exec" requires a minimum of 1 argument(s)');
    expect(() => parse('kill', ['a', '9', 'x'])).toThrow('"kill" requires a maximum of 2 argument(s)');
    expect(() => parse('list', ['x'])).toThrow('"list" requires exactly 0 argument(s)');
  });

  it('a flag without its value', () => {
    expect(() => parse('create', ['c1', '--bundle'])).toThrow('flag needs an argument: --bundle');
  });
});

describe('delegation to yargs', () => {
  it('hands --help and grouped short flags over', () => {
    expect(fastParse(cmd('state'), ['--help'])).toEqual({ kind: 'delegate', reason: 'help' });
    expect(fastParse(cmd('exec'), ['-h'])).toEqual({ kind: 'delegate', reason: 'help' });
    expect(fastParse(cmd('exec'), ['-dt', 'c1', 'sh'])).toEqual({ kind: 'delegate', reason: 'syntax' });
  });

  it('container run/create: -h is the host name (Docker), --help is help; the runc commands keep -h as help', () => {
    for (const name of ['run', 'create']) {
      const def = findSubcommand(cmd('container'), name);
      if (!def) throw new Error(`no container ${name}`);
      const fast = fastParse(def, ['-h', 'web1', 'img', 'sh']);
      expect(fast).toEqual({ kind: 'parsed', parsed: { def, flags: { hostname: 'web1' }, args: ['img', 'sh'] } });
      expect(fastParse(def, ['--help'])).toEqual({ kind: 'delegate', reason: 'help' });
      // grouped letters go through yargs, where -h must not turn into help either
      const grouped = parseWithYargs(def, ['-it', '-h', 'web2', 'img']);
      expect(grouped).not.toBe('help');
      expect((grouped as ParsedCommand).flags).toEqual({ interactive: true, tty: true, hostname: 'web2' });
      expect(parseWithYargs(def, ['--help'])).toBe('help');
    }
    expect(fastParse(cmd('run'), ['-h'])).toEqual({ kind: 'delegate', reason: 'help' });
    expect(parseWithYargs(cmd('run'), ['-h'])).toBe('help');
  });

  it('--help after the id of exec is part of the command', () => {
    expect(parse('exec', ['c1', 'ls', '--help']).args).toEqual(['c1', 'ls', '--help']);
  });

  it('yargs parses grouped flags into the same shape', () => {
    const r = parseWithYargs(cmd('exec'), ['-dt', '-e', 'A=1', 'c1', 'sh', '-c', 'x']);
    expect(r).not.toBe('help');
    expect((r as ParsedCommand).flags).toEqual({ detach: true, tty: true, env: ['A=1'] });
    expect((r as ParsedCommand).args).toEqual(['c1', 'sh', '-c', 'x']);
    expect(parseWithYargs(cmd('state'), ['--help'])).toBe('help');
  });

  it('yargs reports unknown flags as usage errors', () => {
    expect(() => parseWithYargs(cmd('exec'), ['-dx', 'c1', 'sh'])).toThrow(UsageError);
  });

  // The two parsers must agree on everything the fast one accepts.
  const samples: [string, string[]][] = [
    ['create', ['--bundle', '/b', '--pid-file', '/b/init.pid', '--console-socket', '/s', 'c1']],
    ['create', ['-b', '/b', '--pid-file=/p', '--no-pivot', '--preserve-fds', '3', 'c1']],
    ['run', ['-d', '--keep', '--bundle=/b', 'c1']],
    ['exec', ['--pid-file', 'P', '--process', 'F', '--detach', '--tty', '--console-socket', 'S', 'c1']],
    ['exec', ['-e', 'A=1', '--env', 'B=2', '-u', '1000:1000', '-g', '5', '-g', '6', '--cap', 'CAP_SYS_ADMIN', 'c1', 'sh', '-c', 'echo -x']],
    ['exec', ['--cgroup', 'cpu,cpuacct:sub', '--cgroup', 'memory:sub', '--no-new-privs', '--ignore-paused', 'c1', 'true']],
    ['kill', ['--all', 'c1', '9']],
    ['kill', ['-a', 'c1', 'KILL']],
    ['delete', ['--force', 'c1']],
    ['delete', ['c1', '-f']],
    ['ps', ['--format', 'table', 'c1', '-ef']],
    ['ps', ['-f', 'json', 'c1']],
    ['update', ['--resources', '-', 'c1']],
    ['update', ['--resources=-', 'c1']],
    ['update', ['--memory', '64m', '--memory-swap', '-1', '--cpu-shares', '512', '--pids-limit', '10', 'c1']],
    ['events', ['--interval=5s', 'c1']],
    ['events', ['--stats', 'c1']],
    ['list', ['--format=json']],
    ['list', ['-q']],
    ['spec', ['--rootless', '--bundle', '/tmp/b']],
    ['state', ['c1']],
    ['start', ['c1']],
    ['pause', ['c1']],
    ['features', []],
  ];
  it.each(samples)('%s %j: fast parser == yargs', (name, tokens) => {
    const fast = parse(name, tokens);
    const slow = parseWithYargs(cmd(name), tokens) as ParsedCommand;
    expect(slow.flags).toEqual(fast.flags);
    expect(slow.args).toEqual(fast.args);
  });
});

describe('command table', () => {
  it('has every runc subcommand this project supports, each flag once', () => {
    const runc = ['create', 'delete', 'events', 'exec', 'features', 'kill', 'list', 'pause', 'ps', 'resume', 'run', 'spec', 'start', 'state', 'update'];
    const images = ['image', 'images', 'login', 'logout', 'pull', 'rmi'];
    const engine = ['container', 'network', 'volume'];
    expect(COMMANDS.map((c) => c.name).sort()).toEqual([...runc, ...images, ...engine].sort());
    const image = COMMANDS.find((c) => c.name === 'image');
    const network = COMMANDS.find((c) => c.name === 'network');
    expect(network?.subcommands?.map((c) => c.name)).toEqual(['network create', 'network ls', 'network inspect', 'network rm', 'network prune']);
    expect(image?.subcommands?.map((c) => c.name)).toEqual(['image ls', 'image rm', 'image inspect', 'image prune', 'image load', 'image save', 'image pull']);
    const container = COMMANDS.find((c) => c.name === 'container');
    expect(container?.subcommands?.map((c) => c.name.split(' ')[1]).sort()).toEqual(
      ['create', 'exec', 'inspect', 'kill', 'logs', 'ls', 'pause', 'prune', 'rm', 'run', 'start', 'stop', 'unpause'],
    );
    const volume = COMMANDS.find((c) => c.name === 'volume');
    expect(volume?.subcommands?.map((c) => c.name)).toEqual(['volume create', 'volume ls', 'volume rm', 'volume inspect', 'volume prune']);
    const groups = COMMANDS.flatMap((c) => c.subcommands ?? []);
    for (const c of [...COMMANDS, ...groups]) {
      const names = c.flags.flatMap((f) => [f.name, ...(f.aliases ?? []), ...(f.short ? [f.short] : [])]);
      expect(new Set(names).size, c.name).toBe(names.length);
    }
  });
});

describe('yargs path details', () => {
  it('keeps "-" as a flag value but leaves the command after the id alone', () => {
    const def = findCommand('exec')!;
    const r = parseWithYargs(def, ['-dt', '--cwd', '-', 'c1', 'cat', '-e', '-']) as ParsedCommand;
    expect(r.flags).toEqual({ detach: true, tty: true, cwd: '-' });
    expect(r.args).toEqual(['c1', 'cat', '-e', '-']);
  });
});
