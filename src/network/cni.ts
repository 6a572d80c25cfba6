// Calling CNI plugins the way the CNI spec (and libcni) does: the plugin
// binary is found in CNI_PATH, the operation is in CNI_* variables, the
// network configuration on stdin, the result (or an error object) on stdout.
// A conflist runs its plugins in order for ADD, each given the previous
// result as prevResult, and in reverse for DEL, given the cached result.
// runtimeConfig carries only what a plugin declared in its capabilities.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Conflist, PluginConf } from './conflist';
import { CniPluginError, NetworkError } from './errors';

/** Debian's containernetworking-plugins, then the upstream default */
const DEFAULT_CNI_PATH = ['/usr/lib/cni', '/opt/cni/bin'];
const PLUGIN_TIMEOUT_MS = 60_000;

export interface CniResult {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: unknown;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs (IgnoreUnknown is added) */
  args?: Record<string, string>;
  /** offered to the plugins whose capabilities name the key (portMappings, ips) */
  runtimeConfig?: Record<string, unknown>;
}

/** The directories searched for plugins: $CNI_PATH (colon-separated) or Debian's and upstream's. */
function cniPath(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.CNI_PATH ? env.CNI_PATH.split(':').filter(Boolean) : DEFAULT_CNI_PATH;
}

function findPlugin(type: string, dirs: string[]): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new NetworkError(`invalid CNI plugin type ${JSON.stringify(type)}`);
  for (const d of dirs) {
    const p = path.join(d, type);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next directory
    }
  }
  throw new NetworkError(`failed to find CNI plugin ${JSON.stringify(type)} in path [${dirs.join(' ')}] (install containernetworking-plugins, or set CNI_PATH)`);
}

/** Run one plugin binary; returns its parsed stdout (empty for DEL). */
function execPlugin(type: string, command: 'ADD' | 'DEL' | 'CHECK', rt: CniRuntime, config: object, dirs = cniPath()): CniResult | undefined {
  const bin = findPlugin(type, dirs);
  const args = Object.entries({ IgnoreUnknown: '1', ...rt.args }).map(([k, v]) => `${k}=${v}`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_PATH: dirs.join(':'),
    CNI_ARGS: args.join(';'),
  };
  const r = spawnSync(bin, [], { input: JSON.stringify(config), env, encoding: 'utf8', timeout: PLUGIN_TIMEOUT_MS, maxBuffer: 4 << 20 });
  if (r.error) throw new CniPluginError(type, command, r.error.message, { cause: r.error, path: bin });
  if (r.status !== 0) {
    // the spec's error object is on stdout; some failures only reach stderr
    let parsed: { code?: number; msg?: string; details?: string } | undefined;
    try {
      parsed = JSON.parse(r.stdout) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const msg = parsed?.msg ?? (r.stderr.trim() || r.stdout.trim() || `exit status ${r.status ?? r.signal}`);
    throw new CniPluginError(type, command, msg, {
      path: bin,
      ...(typeof parsed?.code === 'number' ? { code: parsed.code } : {}),
      ...(parsed?.details ? { details: parsed.details } : {}),
    });
  }
  if (command !== 'ADD') return undefined;
  try {
    return JSON.parse(r.stdout) as CniResult;
  } catch (e) {
    throw new CniPluginError(type, command, `invalid result JSON: ${(e as Error).message}`, { cause: e, path: bin });
  }
}

/** The configuration one plugin of a list receives. */
function pluginConfig(list: Conflist, plugin: PluginConf, rt: CniRuntime, prevResult: CniResult | undefined, ipamDataDir: string): object {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  if (plugin.type === 'bridge' && conf.ipam && typeof conf.ipam === 'object') conf.ipam = { ...(conf.ipam as object), dataDir: ipamDataDir };
  const offered = Object.entries(rt.runtimeConfig ?? {}).filter(([k]) => plugin.capabilities?.[k]);
  if (offered.length > 0) conf.runtimeConfig = Object.fromEntries(offered);
  if (prevResult) conf.prevResult = prevResult;
  return conf;
}

export function addNetworkList(list: Conflist, rt: CniRuntime, ipamDataDir: string, dirs = cniPath()): CniResult {
  let result: CniResult | undefined;
  for (const plugin of list.plugins) {
    result = execPlugin(plugin.type, 'ADD', rt, pluginConfig(list, plugin, rt, result, ipamDataDir), dirs) ?? result;
  }
  if (!result) throw new NetworkError(`network ${list.name}: its conflist has no plugins`);
  return result;
}

/** DEL in reverse order; every plugin is called even when one fails, and the first failure is thrown. */
export function delNetworkList(list: Conflist, rt: CniRuntime, ipamDataDir: string, prevResult: CniResult | undefined, dirs = cniPath()): void {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      execPlugin(plugin.type, 'DEL', rt, pluginConfig(list, plugin, rt, prevResult, ipamDataDir), dirs);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** The container's lo, up (CNI's loopback plugin, as containerd's CRI does). */
export function loopbackUp(rt: Omit<CniRuntime, 'ifName'>, dirs = cniPath()): void {
  execPlugin('loopback', 'ADD', { ...rt, ifName: 'lo' }, { cniVersion: '1.0.0', name: 'loopback', type: 'loopback' }, dirs);
}
