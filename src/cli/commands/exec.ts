import { TsrunError, UsageError } from '../../errors';
import { errorChainMessage } from '../../log';
import { exec, type ExecOptions } from '../../container/operations';
import { parseAdditionalGids, parseSubCgroupPaths, parseUserSpec } from '../values';
import type { ParsedCommand } from '../fast-parse';
import {
  absPath,
  bool,
  id,
  list,
  nonEmpty,
  optionalBool,
  preserveFds,
  runtimeContext,
  type CommandEnv,
  type CommandHandler,
} from './common';

/** runc exits 255 when exec itself fails (fatalWithCode), else with the process's status. */
export const EXEC_FAILED_EXIT_CODE = 255;

export const handler: CommandHandler = async (p, g, env) => {
  try {
    return await exec(runtimeContext(g), execOptions(p, env));
  } catch (e) {
    const err = new TsrunError(`exec failed: ${errorChainMessage(e)}`, { containerId: id(p), cause: e });
    err.exitCode = EXEC_FAILED_EXIT_CODE;
    throw err;
  }
};

export function execOptions(p: ParsedCommand, env: CommandEnv): ExecOptions {
  const processFile = absPath(env, nonEmpty(p, 'process'));
  const args = p.args.slice(1);
  if (!processFile && args.length === 0) throw new UsageError('exec args cannot be empty');
  const user = nonEmpty(p, 'user');
  return {
    id: id(p),
    processFile,
    args,
    cwd: nonEmpty(p, 'cwd'),
    env: list(p, 'env'),
    tty: bool(p, 'tty'),
    user: user === undefined ? undefined : parseUserSpec(user),
    additionalGids: parseAdditionalGids(list(p, 'additional-gids')),
    detach: bool(p, 'detach'),
    pidFile: absPath(env, nonEmpty(p, 'pid-file')),
    consoleSocket: nonEmpty(p, 'console-socket'),
    pidfdSocket: nonEmpty(p, 'pidfd-socket'),
    processLabel: nonEmpty(p, 'process-label'),
    apparmor: nonEmpty(p, 'apparmor'),
    noNewPrivs: optionalBool(p, 'no-new-privs'),
    caps: list(p, 'cap'),
    preserveFds: preserveFds(p),
    subCgroupPaths: parseSubCgroupPaths(list(p, 'cgroup')),
    ignorePaused: bool(p, 'ignore-paused'),
  };
}
