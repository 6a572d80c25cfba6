// Plumbing shared by `tsrun container …` and `tsrun volume …`: their flags
// into typed options, and their implementation (src/container/image-run),
// imported dynamically (its index.ts, a bundle chunk of its own) so that only
// these commands load it.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors';
import type { GlobalOptions } from '../globals';
import type { ParsedCommand } from '../fast-parse';
import { parseIntFlag, parseRamInBytes, parseSignal } from '../values';
import { bool, list, runtimeContext, str, type CommandEnv } from './common';

// the return type is inferred: a written-out `typeof import()` would count as a static dependency
export function loadContainerApi() {
  return import('../../container/image-run');
}

export function imageRunEnv(g: GlobalOptions, env: CommandEnv) {
  return {
    ctx: runtimeContext(g),
    ...(g.imageRoot ? { imageRoot: g.imageRoot } : {}),
    ...(g.registriesConfig ? { registriesConfig: g.registriesConfig } : {}),
    out: env.out,
    err: (text: string) => process.stderr.write(text),
    env: process.env,
    euid: process.geteuid?.() ?? 0,
    self: [process.execPath, ...process.execArgv, process.argv[1] as string],
  };
}

function numberFlag(p: ParsedCommand, name: string, min: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a number of at least ${min}`);
  return n;
}

function ram(p: ParsedCommand, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (v === '-1') return -1;
  return parseRamInBytes(name, v);
}

/** --security-opt values: no-new-privileges[:true|false], seccomp=unconfined|FILE */
function securityOpts(p: ParsedCommand, env: CommandEnv): { noNewPrivileges: boolean; seccomp?: 'unconfined' | Record<string, unknown> } {
  let noNewPrivileges = false;
  let seccomp: 'unconfined' | Record<string, unknown> | undefined;
  for (const o of list(p, 'security-opt')) {
    if (/^no-new-privileges(?:[:=]true)?$/.test(o)) noNewPrivileges = true;
    else if (/^no-new-privileges[:=]false$/.test(o)) noNewPrivileges = false;
    else if (o === 'seccomp=unconfined' || o === 'seccomp:unconfined') seccomp = 'unconfined';
    else if (/^seccomp[=:]/.test(o)) {
      const file = path.resolve(env.cwd, o.slice(8));
      try {
        seccomp = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`--security-opt ${o}: cannot read the seccomp profile ${file}: ${(e as Error).message}`);
      }
    } else throw new UsageError(`--security-opt ${JSON.stringify(o)}: expected no-new-privileges, seccomp=FILE or seccomp=unconfined`);
  }
  return { noNewPrivileges, ...(seccomp ? { seccomp } : {}) };
}

export async function createRequest(p: ParsedCommand, env: CommandEnv) {
  const specs = await loadContainerApi();
  const envFromFiles = list(p, 'env-file').flatMap((f) => {
    const file = path.resolve(env.cwd, f);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--env-file ${f}: ${(e as Error).message}`);
    }
    return specs.parseEnvFile(f, text, process.env);
  });
  const envFlags = list(p, 'env').flatMap((e) => (e.includes('=') ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : []));
  // Docker's default: the predefined bridge network
  const network = str(p, 'network') ?? 'bridge';
  const pull = str(p, 'pull') ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new UsageError(`--pull ${JSON.stringify(pull)}: expected missing, always or never`);
  const stopSignal = str(p, 'stop-signal');
  if (stopSignal !== undefined) parseSignal(stopSignal);
  const pidsLimit = str(p, 'pids-limit');
  const cpuShares = str(p, 'cpu-shares');
  const flags = {
    ...(str(p, 'name') !== undefined ? { name: str(p, 'name') } : {}),
    env: [...envFromFiles, ...envFlags],
    volumes: [...list(p, 'volume').map(specs.parseVolumeFlag), ...list(p, 'mount').map(specs.parseMountFlag), ...list(p, 'tmpfs').map(specs.parseTmpfsFlag)],
    resources: {
      memory: ram(p, 'memory'),
      memorySwap: ram(p, 'memory-swap'),
      cpus: numberFlag(p, 'cpus', 0.001),
      cpuShares: cpuShares === undefined ? undefined : parseIntFlag('cpu-shares', cpuShares, 2, 262144),
      cpusetCpus: str(p, 'cpuset-cpus'),
      pidsLimit: pidsLimit === undefined ? undefined : parseIntFlag('pids-limit', pidsLimit, -1),
    },
    readOnly: bool(p, 'read-only'),
    user: str(p, 'user'),
    workdir: str(p, 'workdir'),
    entrypoint: str(p, 'entrypoint'),
    hostname: str(p, 'hostname'),
    capAdd: list(p, 'cap-add'),
    capDrop: list(p, 'cap-drop'),
    ...securityOpts(p, env),
    stopSignal,
    network,
    publish: list(p, 'publish'),
    dns: list(p, 'dns'),
    addHosts: list(p, 'add-host'),
    ...(str(p, 'ip') !== undefined ? { ip: str(p, 'ip') } : {}),
    tty: bool(p, 'tty'),
    interactive: bool(p, 'interactive'),
  };
  const wd = flags.workdir;
  if (wd !== undefined && !wd.startsWith('/')) throw new UsageError(`--workdir ${JSON.stringify(wd)}: the working directory must be absolute`);
  for (const k of Object.keys(flags.resources) as Array<keyof typeof flags.resources>) if (flags.resources[k] === undefined) delete flags.resources[k];
  return {
    image: p.args[0] as string,
    command: p.args.slice(1),
    flags: JSON.parse(JSON.stringify(flags)) as typeof flags & { name?: string },
    pull: pull as 'missing' | 'always' | 'never',
    ...(str(p, 'platform') ? { platform: str(p, 'platform') } : {}),
    autoRemove: bool(p, 'rm'),
  };
}
