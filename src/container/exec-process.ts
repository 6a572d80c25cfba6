// The process an `exec` runs, as runc decides it: with --process FILE, that
// document alone (the CLI process flags are ignored, the tty comes from its
// "terminal"); otherwise the container's config.json process with the flags
// applied on top. Pure apart from reading the file; checked like config.json's
// process, with errors naming the file and JSON path.
import * as fs from 'node:fs';
import { SpecValidationError } from '../../oci-spec/errors';
import type { Process } from '../../oci-spec/runtime';
import { parseJsonText, parseProcess } from '../../oci-spec/validate';
import { ConfigError, fromNodeError, UsageError } from '../errors';
import { formatFinding } from '../validate/checks';
import { checkProcess, type HostFacts } from './config-checks';
import type { ExecOptions } from './options';

/** Read and validate an `exec --process` document. */
function readProcessFile(file: string, containerId: string): Process {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fromNodeError('read the process file', err, { containerId, path: file });
  }
  return parseProcessDocument(text, file, containerId);
}

/** Parse a process document (JSON text); errors name `label` and the JSON path. */
export function parseProcessDocument(text: string, label: string, containerId: string): Process {
  try {
    return parseProcess(parseJsonText(text, label), label);
  } catch (err) {
    if (err instanceof SpecValidationError) {
      throw new ConfigError(err.message, { containerId, path: label, jsonPath: err.jsonPath, cause: err });
    }
    throw err;
  }
}

/** "CAP_SYS_ADMIN" from "sys_admin", "SYS_ADMIN" or "CAP_SYS_ADMIN". */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/**
 * runc exec's flags applied to the container's process: args replace, env
 * appends, --cwd/-u replace, -g appends, --cap adds to bounding, effective and
 * permitted (and ambient when the config has an inheritable set), -t sets the
 * terminal (off unless given), --no-new-privs overrides when given.
 */
export function processFromFlags(base: Process, opts: ExecOptions): Process {
  const p: Process = structuredClone(base);
  p.args = [...opts.args];
  p.env = [...(p.env ?? []), ...opts.env];
  if (opts.cwd) p.cwd = opts.cwd;
  p.terminal = opts.tty;
  // the container's console size belongs to its own terminal, not to this one
  delete p.consoleSize;
  if (opts.noNewPrivs !== undefined) p.noNewPrivileges = opts.noNewPrivs;
  if (opts.user) {
    p.user = { ...p.user, uid: opts.user.uid };
    if (opts.user.gid !== undefined) p.user.gid = opts.user.gid;
  }
  if (opts.additionalGids.length) p.user = { ...p.user, additionalGids: [...(p.user.additionalGids ?? []), ...opts.additionalGids] };
  if (opts.caps.length) {
    const caps = { ...(p.capabilities ?? {}) };
    const add = (set: string[] | undefined, names: string[]): string[] => {
      const out = [...(set ?? [])];
      for (const n of names) if (!out.includes(n)) out.push(n);
      return out;
    };
    const names = opts.caps.map(normalizeCapability);
    caps.bounding = add(caps.bounding, names);
    caps.effective = add(caps.effective, names);
    caps.permitted = add(caps.permitted, names);
    // an ambient capability needs an inheritable one; runc adds it only then
    if (caps.inheritable !== undefined) caps.ambient = add(caps.ambient, names);
    p.capabilities = caps;
  }
  if (opts.apparmor) p.apparmorProfile = opts.apparmor;
  if (opts.processLabel) p.selinuxLabel = opts.processLabel;
  // an exec'd process does not inherit the init's oom score adjustment request
  return p;
}

export interface ResolvedExecProcess {
  process: Process;
  /** how findings name the document: the --process path, or "exec" for flags */
  label: string;
  warnings: string[];
}

/**
 * The process to exec for `opts` in a container whose config.json process is
 * `base`. Throws ConfigError listing every error finding (JSON paths relative
 * to the process document); returns the warnings.
 */
export function resolveExecProcess(opts: ExecOptions, base: Process | undefined, facts: HostFacts): ResolvedExecProcess {
  let process: Process;
  let label: string;
  if (opts.processFile) {
    process = readProcessFile(opts.processFile, opts.id);
    label = opts.processFile;
  } else {
    if (!base) throw new ConfigError('the container has no process in its config.json to base the exec on; use --process', { containerId: opts.id });
    if (opts.args.length === 0) throw new UsageError('exec args cannot be empty');
    process = processFromFlags(base, opts);
    label = 'exec process';
  }
  return checkExecProcess(process, label, opts.id, facts);
}

/** Check a process document like config.json's process: every error at once, warnings returned. */
export function checkExecProcess(process: Process, label: string, containerId: string, facts: HostFacts): ResolvedExecProcess {
  const result = checkProcess(process, facts);
  if (result.errors.length) {
    const lines = result.errors.map((f) => formatFinding(label, f));
    throw new ConfigError(lines.join('; '), { containerId, jsonPath: result.errors[0]!.path });
  }
  return { process, label, warnings: result.warnings.map((f) => formatFinding(label, f)) };
}
