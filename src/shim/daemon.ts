// The long-lived shim of one group: ttrpc on the socket the launcher bound
// (fd 3), the Task service, the reaper, the event publisher. It exits once it
// has held no container for its idle timeout (shimIdleTimeout in the runtime
// config, default 30 s), and never while a launcher has just promised its
// address to containerd. On the way out it removes its socket — unless a
// newer shim already owns that path.
import * as fs from 'node:fs';
import { configureLogging, errorChainMessage, log } from '../log';
import { native, type Native } from '../native';
import { cleanupGroup } from './cleanup';
import { DEFAULT_IDLE_TIMEOUT_MS, type ShimConfig } from './config';
import { TtrpcPublisher } from './events';
import type { ShimFlags } from './flags';
import { Reaper } from './reaper';
import { SHIM_DIR, TaskRegistry } from './records';
import { TaskService } from './service';
import { TtrpcServer } from './ttrpc/server';

const LISTEN_FD = 3;
/** After a launcher's handshake (or our own start), containerd's Create is due: stay this long at least. */
const RESERVE_MS = 10_000;
const DRAIN_LIMIT_MS = 5_000;

/** When to exit: no container, the idle timeout passed, and no Create due. */
export class Lifetime {
  private tasks = 0;
  private idleSince: number;
  private reservedUntil: number;
  private idleMs = DEFAULT_IDLE_TIMEOUT_MS;
  private timer?: NodeJS.Timeout;
  private done = false;

  constructor(
    private readonly onExpire: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.idleSince = now();
    this.reservedUntil = now() + RESERVE_MS;
    this.schedule();
  }

  tasksChanged(count: number): void {
    if (count === 0 && this.tasks > 0) this.idleSince = this.now();
    this.tasks = count;
    this.schedule();
  }

  /** a launcher told containerd our address: a Create follows */
  reserve(): void {
    this.reservedUntil = Math.max(this.reservedUntil, this.now() + RESERVE_MS);
    this.schedule();
  }

  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    this.schedule();
  }

  /** the moment the shim may exit (undefined while it holds containers) */
  deadline(): number | undefined {
    if (this.tasks > 0 || this.done) return undefined;
    return Math.max(this.idleSince + this.idleMs, this.reservedUntil);
  }

  stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.deadline();
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      const again = this.deadline();
      if (again === undefined) return;
      if (again > this.now()) return this.schedule();
      this.done = true;
      this.onExpire();
    }, Math.max(0, at - this.now()));
  }
}

/** Logs go to the log FIFO of the newest container's bundle, which containerd reads. */
function logToBundle(bundle: string, debug: boolean): void {
  let fd: number;
  try {
    // non-blocking: no reader (containerd gone) must not hang us
    fd = fs.openSync(`${bundle}/log`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    configureLogging({ file: `/proc/self/fd/${fd}`, format: 'text', debug });
  } catch {
    // keep the old destination
  } finally {
    fs.closeSync(fd);
  }
}

/** Remove the socket path if it is still ours (a newer shim may have replaced it). */
function removeSocket(n: Native, path: string, ino: number): void {
  let dir: number | undefined;
  try {
    dir = fs.openSync(SHIM_DIR, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    n.flock(dir, true, false);
    if (fs.statSync(path).ino === ino) fs.unlinkSync(path);
  } catch {
    // gone already
  } finally {
    if (dir !== undefined) fs.closeSync(dir);
  }
}

/** Clean up what a predecessor of this group left when it died (under the launchers' lock). */
async function recoverPredecessor(n: Native, registry: TaskRegistry, namespace: string): Promise<void> {
  if (registry.entries().length === 0) return;
  const dir = fs.openSync(SHIM_DIR, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    n.flock(dir, true, false);
    await cleanupGroup(n, registry, namespace);
  } finally {
    fs.closeSync(dir);
  }
}

export async function runDaemon(flags: ShimFlags): Promise<number> {
  if (flags.debug) configureLogging({ format: 'text', debug: true });
  process.on('uncaughtException', (err) => log.error(`unexpected error: ${errorChainMessage(err)}`));
  process.on('unhandledRejection', (err) => log.error(`unexpected error: ${errorChainMessage(err)}`));
  const ttrpcAddress = process.env.TTRPC_ADDRESS;
  if (!ttrpcAddress) throw new Error('TTRPC_ADDRESS is not set: containerd (1.5 and later) sets it for its shims');
  if (!flags.socket) throw new Error('-socket is missing: the daemon is started by the launcher');
  // the path's own inode (the socket fd's is sockfs'): ours until a newer shim replaces it
  const ino = fs.statSync(flags.socket).ino;
  const n = native();
  const reaper = new Reaper(n);
  reaper.start();
  const publisher = new TtrpcPublisher(ttrpcAddress, flags.namespace, (topic, err) => log.warn(`event ${topic} dropped: ${err.message}`));
  const registry = new TaskRegistry(flags.socket);
  await recoverPredecessor(n, registry, flags.namespace);

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let server: TtrpcServer | undefined;
  const exit = async (code: number) => {
    lifetime.stop();
    server?.close();
    removeSocket(n, flags.socket, ino);
    registry.removeIfEmpty();
    await Promise.race([publisher.drain(), new Promise((r) => setTimeout(r, DRAIN_LIMIT_MS))]);
    publisher.close();
    reaper.stop();
    finish(code);
  };
  const lifetime = new Lifetime(() => void exit(0));
  const service = new TaskService({
    native: n,
    reaper,
    publisher,
    namespace: flags.namespace,
    registry,
    tasksChanged: (count) => lifetime.tasksChanged(count),
    shutdown: () => lifetime.tasksChanged(0),
    configured: (config: ShimConfig, bundle: string) => {
      lifetime.setIdleTimeout(config.idleTimeoutMs);
      logToBundle(bundle, flags.debug);
    },
    launcherConnected: () => lifetime.reserve(),
  });
  server = new TtrpcServer({
    handlers: service.handlers(),
    onUnexpected: (method, err) => log.error(`${method}: ${errorChainMessage(err)}`),
  });
  await server.listenFd(LISTEN_FD);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void exit(0));
  process.on('SIGPIPE', () => undefined);
  return finished;
}
