// The shim's settings for a container, from CreateTaskRequest.options:
// - runtimeoptions.v1.Options (what CRI sends for a runtime that is not runc,
//   and `ctr run --runtime-config-path`): config_path names a JSON file
//       {"root": "/run/containerd/tsrun", "systemdCgroup": false,
//        "noPivotRoot": false, "shimIdleTimeout": 30}
// - containerd.runc.v1.Options (runc's option type): root, systemd_cgroup,
//   no_pivot_root are honoured, the rest (binary_name, criu, ...) ignored.
// State lives in <root>/<namespace>/<id>, as runc's shim keeps runc's in
// /run/containerd/runc/<namespace>: `tsrun --root <root>/<namespace> list`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, fromNodeError } from '../errors';
import { decode } from './proto/codec';
import { RuncOptions, RuntimeOptions, type Any } from './proto/messages';

export const DEFAULT_ROOT = '/run/containerd/tsrun';
/** How long an idle shim (no containers) waits for the next one before it exits. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export interface ShimConfig {
  /** the state root without the namespace */
  root: string;
  systemdCgroup: boolean;
  noPivotRoot: boolean;
  idleTimeoutMs: number;
}

function defaultConfig(): ShimConfig {
  return { root: DEFAULT_ROOT, systemdCgroup: false, noPivotRoot: false, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS };
}

/** The config a Create request's options select. */
export function configFromOptions(options: Any | undefined): ShimConfig {
  const config = defaultConfig();
  if (!options || options.typeUrl === '') return config;
  if (options.typeUrl === RuncOptions.name) {
    const o = decode(RuncOptions, options.value);
    if (o.root) config.root = o.root;
    config.systemdCgroup = o.systemdCgroup;
    config.noPivotRoot = o.noPivotRoot;
    return config;
  }
  if (options.typeUrl === RuntimeOptions.name) {
    const o = decode(RuntimeOptions, options.value);
    return o.configPath ? readConfigFile(o.configPath) : config;
  }
  throw new ConfigError(`runtime options of type ${JSON.stringify(options.typeUrl)} are not understood by containerd-shim-tsrun-v2 (use ${RuntimeOptions.name} with a config_path)`);
}

function readConfigFile(file: string): ShimConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fromNodeError('read the shim config', err, { path: file });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(doc, file);
}

export function parseConfig(doc: unknown, source: string): ShimConfig {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`${source}: expected a JSON object`);
  const config = defaultConfig();
  for (const [key, value] of Object.entries(doc)) {
    const bad = (want: string) => new ConfigError(`${source}: ${key}: expected ${want}`, { jsonPath: key });
    switch (key) {
      case 'root':
        if (typeof value !== 'string' || !path.isAbsolute(value)) throw bad('an absolute path');
        config.root = path.resolve(value);
        break;
      case 'systemdCgroup':
      case 'noPivotRoot':
        if (typeof value !== 'boolean') throw bad('true or false');
        config[key] = value;
        break;
      case 'shimIdleTimeout':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad('a number of seconds, >= 0');
        config.idleTimeoutMs = Math.round(value * 1000);
        break;
      default:
        throw new ConfigError(`${source}: ${key}: unknown setting (known: root, systemdCgroup, noPivotRoot, shimIdleTimeout)`, { jsonPath: key });
    }
  }
  return config;
}
