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
import { SYNC_TEXT_MAX } from '../native/sync';
import { inspectSpecialMountTargets } from '../rootfs/mount-targets';
import { containerProcessStateJson } from '../seccomp/listener';
import { OCI_VERSION } from '../../oci-spec/version';
import { configChecks } from './config-checks';
import { hookState } from './container';
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
  const mountTargets = inspectSpecialMountTargets(rootfsPath(input.bundle, config), config.mounts ?? []);
  const facts = { ...input.host.checks, mountTargets, namespacesSameAsRuntime: namespacesSameAsRuntime(config.linux?.namespaces ?? []) };
  const cfg = runChecks(configChecks, config, facts);
  findings.push(...cfg.errors, ...cfg.warnings);
  const resources = { linux: { resources: fromSpecResources(config.linux?.resources) } };
  const res = runChecks(resourceChecks, resources, { cgroupHost: cgroupHostFacts() });
  findings.push(...res.errors, ...res.warnings);
  const sec = runChecks(seccompChecks, config, undefined);
  findings.push(...sec.errors, ...sec.warnings);
  findings.push(...commandLineChecks(input));
  findings.push(...syncChannelChecks(input));
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

/**
 * The init receives the container state (for its hooks, and with a seccomp
 * listener the state its agent gets) over the sync channel, whose messages
 * have a limit: a config whose annotations (or listener metadata) make that
 * state larger is refused here, before any side effect, naming both sizes.
 */
function syncChannelChecks(input: PreflightInput): Finding[] {
  const { config } = input;
  const widestPid = 2 ** 31 - 1;
  const base = { id: input.id, bundle: input.bundle, annotations: config.annotations ?? {} };
  const limit = `tsrun hands the init at most ${SYNC_TEXT_MAX} bytes per message (its sync channel's limit)`;
  const out: Finding[] = [];
  const state = Buffer.byteLength(hookState(base, 'creating', widestPid));
  if (state > SYNC_TEXT_MAX) {
    out.push(error('annotations', `make the container state the init hands to its hooks ${state} bytes; ${limit}`));
  }
  const seccomp = config.linux?.seccomp;
  if (seccomp?.listenerPath) {
    const agent = Buffer.byteLength(
      containerProcessStateJson({
        ociVersion: OCI_VERSION,
        pid: widestPid,
        metadata: seccomp.listenerMetadata,
        state: { ociVersion: OCI_VERSION, id: input.id, status: 'creating', pid: widestPid, bundle: input.bundle, annotations: config.annotations },
      }),
    );
    if (agent > SYNC_TEXT_MAX && state <= SYNC_TEXT_MAX) {
      out.push(error('linux.seccomp.listenerMetadata', `with the annotations, makes the state sent to the seccomp agent ${agent} bytes; ${limit}`));
    }
  }
  return out;
}
