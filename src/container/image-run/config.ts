// config.json of a container run from an image: tsrun's default spec (the one
// `tsrun spec` writes, with the default seccomp profile), then the image's
// config, then the flags, with Docker's precedence. Pure.
import type { ImageRunConfig } from '../../../oci-spec/image';
import { CAPABILITIES } from '../../../oci-spec/capabilities';
import { UsageError } from '../../errors';
import type { DefaultSpec } from '../default-spec';
import type { ResolvedUser } from './user';
import type { ContainerFlags } from './types';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface ContainerConfigInput {
  id: string;
  spec: DefaultSpec;
  image: ImageRunConfig;
  /** what follows IMAGE on the command line */
  command: string[];
  flags: ContainerFlags;
  user: ResolvedUser;
  /** volumes, binds and tmpfs, in order */
  mounts: OciMount[];
  annotations: Record<string, string>;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CPU_PERIOD = 100_000;

/** Entrypoint + Cmd as Docker combines them: --entrypoint drops the image's Cmd; a command replaces Cmd. */
export function processArgs(image: ImageRunConfig, command: readonly string[], entrypoint: string | undefined): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (image.Entrypoint ?? []);
  const cmd = command.length > 0 ? [...command] : entrypoint !== undefined ? [] : (image.Cmd ?? []);
  const args = [...ep, ...cmd];
  if (args.length === 0) throw new UsageError('no command specified: the image has no Entrypoint or Cmd, give one after the image name');
  return args;
}

/** Later entries win by name; the order is first appearance (PATH from the image, else the default). */
export function mergeEnv(...lists: ReadonlyArray<readonly string[]>): string[] {
  const byKey = new Map<string, string>();
  for (const list of lists) {
    for (const e of list) {
      const eq = e.indexOf('=');
      const key = eq < 0 ? e : e.slice(0, eq);
      if (!key) throw new UsageError(`--env ${JSON.stringify(e)}: empty variable name`);
      byKey.set(key, e);
    }
  }
  return [...byKey.values()];
}

function capName(raw: string): string {
  const up = raw.toUpperCase();
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (up !== 'ALL' && !(CAPABILITIES as readonly string[]).includes(name)) throw new UsageError(`--cap-add/--cap-drop: unknown capability ${JSON.stringify(raw)}`);
  return up === 'ALL' ? 'ALL' : name;
}

/** Docker's order: drop first (ALL empties the set), then add (ALL fills it). */
export function capabilities(base: readonly string[], add: readonly string[], drop: readonly string[]): string[] {
  const drops = drop.map(capName);
  const adds = add.map(capName);
  let set = drops.includes('ALL') ? [] : base.filter((c) => !drops.includes(c));
  if (adds.includes('ALL')) set = [...CAPABILITIES];
  for (const c of adds) if (c !== 'ALL' && !set.includes(c)) set.push(c);
  return set;
}

export function buildContainerConfig(input: ContainerConfigInput): Record<string, unknown> {
  const { spec, image, flags } = input;
  const config = structuredClone(spec) as DefaultSpec & Record<string, unknown>;
  const hostname = flags.hostname ?? input.id.slice(0, 12);
  const imageEnv = image.Env ?? [];
  const env = mergeEnv(
    imageEnv.some((e) => e.startsWith('PATH=')) ? [] : [DEFAULT_PATH],
    imageEnv,
    [`HOSTNAME=${hostname}`],
    flags.tty ? ['TERM=xterm'] : [],
    flags.env,
  );
  const caps = capabilities(spec.process.capabilities.bounding, flags.capAdd, flags.capDrop);
  config.process = {
    ...config.process,
    terminal: flags.tty,
    user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids.length ? { additionalGids: input.user.additionalGids } : {}) },
    args: processArgs(image, input.command, flags.entrypoint),
    env,
    cwd: flags.workdir ?? (image.WorkingDir || '/'),
    capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
    noNewPrivileges: spec.process.noNewPrivileges || flags.noNewPrivileges,
  };
  config.root = { path: 'rootfs', readonly: flags.readOnly };
  config.hostname = hostname;
  config.mounts = [...spec.mounts, ...input.mounts];
  const linux = config.linux as DefaultSpec['linux'] & Record<string, unknown>;
  if (flags.network === 'host') linux.namespaces = linux.namespaces.filter((n) => n.type !== 'network');
  if (flags.seccomp === 'unconfined') delete linux.seccomp;
  else if (flags.seccomp) linux.seccomp = flags.seccomp;
  linux.resources = { devices: [], ...linux.resources, ...resources(flags) };
  config.annotations = input.annotations;
  return config;
}

function resources(flags: ContainerFlags): Record<string, unknown> {
  const r = flags.resources;
  const out: Record<string, unknown> = {};
  const memory: Record<string, number> = {};
  if (r.memory !== undefined) memory.limit = r.memory;
  if (r.memorySwap !== undefined) {
    if (r.memory === undefined && r.memorySwap !== -1) throw new UsageError('--memory-swap needs --memory as well');
    if (r.memory !== undefined && r.memorySwap !== -1 && r.memorySwap < r.memory) throw new UsageError('--memory-swap must be at least --memory (it is memory plus swap)');
    memory.swap = r.memorySwap;
  } else if (r.memory !== undefined) memory.swap = 2 * r.memory; // Docker: as much swap as memory
  if (Object.keys(memory).length) out.memory = memory;
  const cpu: Record<string, unknown> = {};
  if (r.cpus !== undefined) {
    cpu.quota = Math.round(r.cpus * CPU_PERIOD);
    cpu.period = CPU_PERIOD;
  }
  if (r.cpuShares !== undefined) cpu.shares = r.cpuShares;
  if (r.cpusetCpus !== undefined) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit };
  return out;
}
