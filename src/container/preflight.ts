// Everything that can be known wrong before any side effect: the config
// checks, the cgroup resource checks, the seccomp checks, and what the
// command line adds (rootfs present, terminal/console-socket pairing).
import * as fs from 'node:fs';
import type { Config } from '../../oci-spec';
import { cgroupHostFacts, resourceChecks } from '../cgroups/checks';
import { fromSpecResources } from '../cgroups/resources';
import { ConfigError } from '../errors';
import { seccompChecks } from '../seccomp/checks';
import { error, formatFinding, runChecks, type Finding } from '../validate/checks';
import { configChecks } from './config-checks';
import { namespacesSameAsRuntime, type Host } from './host';
import { rootfsPath } from './plan';

export interface PreflightInput {
  id: string;
  bundle: string;
  config: Config;
  host: Host;
  /** create/run will detach (no terminal relay): a terminal needs a console socket */
  detached: boolean;
  consoleSocket?: string;
}

/** Returns the warnings; throws a ConfigError listing every error. */
export function preflight(input: PreflightInput): string[] {
  const { config } = input;
  const findings: Finding[] = [];
  const facts = { ...input.host.checks, namespacesSameAsRuntime: namespacesSameAsRuntime(config.linux?.namespaces ?? []) };
  const cfg = runChecks(configChecks, config, facts);
  findings.push(...cfg.errors, ...cfg.warnings);
  const resources = { linux: { resources: fromSpecResources(config.linux?.resources) } };
  const res = runChecks(resourceChecks, resources, { cgroupHost: cgroupHostFacts() });
  findings.push(...res.errors, ...res.warnings);
  const sec = runChecks(seccompChecks, config, undefined);
  findings.push(...sec.errors, ...sec.warnings);
  findings.push(...commandLineChecks(input));
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    const lines = errors.map((f) => formatFinding('config.json', f));
    throw new ConfigError(lines.join('; '), { containerId: input.id, jsonPath: errors[0]!.path });
  }
  return findings.filter((f) => f.severity === 'warning').map((f) => formatFinding('config.json', f));
}

function commandLineChecks(input: PreflightInput): Finding[] {
  const out: Finding[] = [];
  const { config } = input;
  const rootfs = rootfsPath(input.bundle, config);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(rootfs);
  } catch {
    st = undefined;
  }
  if (!st) out.push(error('root.path', `rootfs (${rootfs}) does not exist`));
  else if (!st.isDirectory()) out.push(error('root.path', `rootfs (${rootfs}) is not a directory`));
  if (!(config.linux?.namespaces ?? []).some((n) => n.type === 'mount')) {
    out.push(error('linux.namespaces', 'a mount namespace is required (the rootfs cannot be set up without one)'));
  }
  const terminal = config.process?.terminal === true;
  // runc's checkTerminal wording
  if (terminal && input.detached && !input.consoleSocket) {
    out.push(error('process.terminal', 'cannot allocate tty if tsrun will detach without setting console socket'));
  }
  if (!terminal && input.consoleSocket) {
    out.push(error('process.terminal', 'cannot use console socket if tsrun will not detach or allocate tty'));
  }
  return out;
}
