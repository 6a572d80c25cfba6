// Typed errors. Each carries what a user needs to act on it (container id, path,
// syscall, errno name) and is raised where the cause is known. Messages reuse
// runc's wording where engines match on it (docs/engines.md; the refusals of
// operations in a wrong state are in src/state/transitions.ts).

export interface ErrorContext {
  containerId?: string;
  path?: string;
  syscall?: string;
  /** errno name, e.g. "ENOENT" */
  errno?: string;
  cause?: unknown;
}

export class TsrunError extends Error {
  readonly containerId?: string;
  /** process exit status for the CLI (runc: 1 for every runtime error) */
  exitCode = 1;

  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = new.target.name;
    this.containerId = ctx.containerId;
  }
}

/** Unknown container id. Engines match "does not exist". */
export class ContainerNotFoundError extends TsrunError {
  constructor(containerId: string) {
    super('container does not exist', { containerId });
  }
}

/**
 * state.json cannot be used (truncated, garbage, wrong types, not a file).
 * Every command but `delete --force`, which repairs from what is left, refuses.
 */
export class DamagedStateError extends TsrunError {
  /** what is wrong, e.g. "state.json is empty" */
  readonly damage: string;
  constructor(containerId: string, damage: string) {
    super(`container state is damaged: ${damage}; \`tsrun delete --force ${containerId}\` removes the container and what it left`, { containerId });
    this.damage = damage;
  }
}

export class ContainerExistsError extends TsrunError {
  constructor(containerId: string) {
    super('container with given ID already exists', { containerId });
  }
}

/** An operation that is not legal in the container's current state. */
export class InvalidStateError extends TsrunError {}

/** Bad command line usage (unknown flag, missing argument, bad signal). */
export class UsageError extends TsrunError {}

/** config.json (or a --process / --resources file) is malformed or not supported. */
export class ConfigError extends TsrunError {
  readonly jsonPath?: string;
  constructor(message: string, ctx: ErrorContext & { jsonPath?: string } = {}) {
    super(message, ctx);
    this.jsonPath = ctx.jsonPath;
  }
}

/** A system call failed; the message names the call, the path and the errno. */
export class SyscallError extends TsrunError {
  readonly syscall: string;
  readonly path?: string;
  readonly errno?: string;
  constructor(what: string, ctx: ErrorContext & { syscall: string }) {
    super(formatSyscallMessage(what, ctx), ctx);
    this.syscall = ctx.syscall;
    this.path = ctx.path;
    this.errno = ctx.errno;
  }
}

export class HookError extends TsrunError {}

export class CgroupError extends TsrunError {
  readonly path?: string;
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, ctx);
    this.path = ctx.path;
  }
}

function formatSyscallMessage(what: string, ctx: ErrorContext & { syscall: string }): string {
  const where = ctx.path ? ` ${ctx.path}` : '';
  const why = ctx.errno ? `: ${describeErrno(ctx.errno)}` : '';
  return `${what}: ${ctx.syscall}${where}${why}`;
}

const ERRNO_TEXT: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOSYS: 'function not implemented',
  ENOTEMPTY: 'directory not empty',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
};

/** "EACCES" → "permission denied (EACCES)"; unknown names pass through. */
export function describeErrno(name: string): string {
  const text = ERRNO_TEXT[name];
  return text ? `${text} (${name})` : name;
}

/** Wrap a Node fs/child error (which carries .code/.syscall/.path) in a SyscallError. */
export function fromNodeError(what: string, err: unknown, ctx: ErrorContext = {}): TsrunError {
  if (err instanceof TsrunError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new SyscallError(what, { ...ctx, syscall: e.syscall, path: ctx.path ?? e.path, errno: e.code, cause: err });
  }
  return new TsrunError(`${what}: ${e instanceof Error ? e.message : String(err)}`, { ...ctx, cause: err });
}
