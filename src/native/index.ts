// The one typed facade over the C addon. Everything that needs the kernel beyond
// what Node offers goes through `Native`; orchestration code takes a `Native`
// parameter (defaulting to the real addon) so it can be unit-tested without root.
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { ExecPlan, InitPlan } from './plan';

export interface Native {
  /** flock(2); returns false only when nonblocking and the lock is held elsewhere */
  flock(fd: number, exclusive: boolean, nonblocking: boolean): boolean;
  /**
   * trusted.overlay.opaque=y on the directory at `path` (lgetxattr: a symlink
   * is not followed): in a layer tree or an upper dir, the layers below are
   * hidden there. false when the path or the attribute is absent.
   */
  isOverlayOpaque(path: string): boolean;

  /** fork stage 1 of a container init carrying out `plan` (see plan.ts) */
  spawnInit(plan: InitPlan): { pid: number; syncFd: number };
  /**
   * fork stage 1 of `exec` (native/src/exec.c): it waits for GO (put it into
   * the container's cgroups first), joins the namespaces, forks the process,
   * sends INIT_PID with that process's host pid and exits; the process's
   * errors come as SYNC_ERROR, and its end of the sync socket closes on execve
   */
  spawnExec(plan: ExecPlan): { pid: number; syncFd: number };
  /** one message from the child; null when it closed its end (exited) */
  syncRecv(fd: number): SyncMessage | null;
  syncSend(fd: number, type: number, value: number, text: string): void;
  /** waitpid(2); null when noHang and the child is still running */
  waitPid(pid: number, noHang: boolean): WaitResult | null;
  /** waitpid(2) of one child on a worker thread */
  waitPidAsync(pid: number): Promise<WaitResult>;
  setChildSubreaper(on: boolean): void;
  /**
   * Release a created init: write to its start FIFO, then read its reply FIFO
   * until EOF (empty: the init exec'd; else sync packets carrying its error).
   * null when nobody reads the start FIFO (the init is gone).
   */
  releaseStart(fifoPath: string, replyPath: string): Buffer | null;
  closeFd(fd: number): void;

  /**
   * cgroup v2 device filter: BPF_PROG_LOAD `insns` (struct bpf_insn[], see
   * src/cgroups/v2/devices-ebpf.ts) as BPF_PROG_TYPE_CGROUP_DEVICE, attach it to
   * the cgroup dir with BPF_F_ALLOW_MULTI, then detach the device programs that
   * were attached before. Errors carry .syscall ("bpf(BPF_PROG_LOAD)", ...) and,
   * for a rejected program, .verifierLog.
   */
  loadDeviceFilter(cgroupPath: string, insns: Buffer): void;
  /** ids of the BPF_CGROUP_DEVICE programs attached to a cgroup v2 dir */
  queryDeviceFilters(cgroupPath: string): number[];

  // --- fd passing (native/src/fdpass*.c); every fd returned is CLOEXEC ---
  /** One sendmsg: 1..4095 bytes of data + one SCM_RIGHTS fd (console-socket contract). */
  sendFd(socketFd: number, data: string | Buffer, fd: number): void;
  /** Any length; the fd rides the first sendmsg, the rest follows without fds. */
  sendFdStream(socketFd: number, data: string | Buffer, fd: number): void;
  /**
   * One recvmsg(MSG_CMSG_CLOEXEC) that must carry 1..4095 bytes and exactly one
   * fd (else throws with code EPROTO and closes what came). timeoutMs: wait at
   * most that long for data (ETIMEDOUT); omitted: block.
   */
  recvFd(socketFd: number, timeoutMs?: number): { fd: number; data: string };
  /** Connected AF_UNIX stream socket; paths longer than sun_path go via /proc/self/fd. */
  connectUnix(path: string): number;
  /** Bound, listening AF_UNIX stream socket; long paths as in connectUnix. Caller unlinks stale files. */
  listenUnix(path: string, backlog?: number): number;
  /** accept4 on a listening socket; timeoutMs as in recvFd. */
  acceptUnix(listenFd: number, timeoutMs?: number): number;
  /** poll(2) for POLLIN: true when `fd` is readable (or hung up), false after timeoutMs (< 0: wait forever) */
  waitReadable(fd: number, timeoutMs: number): boolean;

  // --- terminals (native/src/tty.c) ---
  /** AF_UNIX SOCK_STREAM socketpair, both ends close-on-exec */
  socketPair(): [number, number];
  /** TIOCGWINSZ; null when fd is not a terminal */
  getWinsize(fd: number): { rows: number; cols: number } | null;
  /** TIOCSWINSZ (on a pty master: the container's terminal gets SIGWINCH) */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** put a terminal into raw mode (cfmakeraw); returns the previous settings */
  makeRaw(fd: number): Buffer;
  /** restore what makeRaw returned */
  restoreTerminal(fd: number, saved: Buffer): void;

  // --- seccomp (native/src/seccomp_napi.c), parent side ---
  /** OCI linux.seccomp (normalised) -> cBPF; throws Error with .jsonPath on a bad profile. */
  compileSeccomp(profile: NativeSeccompProfile): CompiledSeccomp;
  /** libseccomp version and what this kernel supports. */
  seccompInfo(): SeccompInfo;

  // --- image layer unpacking (native/src/layer_fs*.c, layer_apply*.c) ---
  // Paths are relative to the layer root fd, normalised ("a/b", no "." or ".."
  // components; "" is the root). Parents are resolved with openat2
  // (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | ...) and created (0755) when
  // missing; final names are never followed. Errors carry .code, .syscall, .path.
  /** O_PATH fd of a layer directory */
  layerOpenRoot(path: string): number;

  // --- image layer decoding (native/src/layer_decode*.c) ---
  /** memory for a decoder's ring (huge pages when the kernel gives them: each first touch of a page is a fault) */
  layerRingAlloc(bytes: number): Buffer;
  /**
   * Decode a layer blob (opened here) on a thread of the addon into ring,
   * whole slots of slotSize bytes: onEvent(slot, length, read) for each
   * filled slot, in order, then onEvent(-1, 0, read, digest, error) once
   * ("sha256:<hex>" of every decompressed byte, or why it stopped). read:
   * compressed bytes read so far. Errors (opening the blob) carry .code, .syscall.
   */
  layerDecodeStart(
    path: string,
    compression: 'none' | 'gzip' | 'zstd',
    ring: Buffer,
    slotSize: number,
    onEvent: (slot: number, length: number, read: number, digest?: string, error?: string) => void,
  ): LayerDecoder;
  /** the consumer is done with the oldest slot it got */
  layerDecodeRelease(decoder: LayerDecoder): void;
  /** stop decoding (the last event still comes) */
  layerDecodeCancel(decoder: LayerDecoder): void;

  // --- image layer applying (native/src/layer_apply*.c) ---
  /**
   * A thread that carries out batches of layer operations (encoded by
   * src/image/unpack/ops.ts) in order, relative to rootFd (kept open until
   * the last event); ring: the decoder's memory, which operations may point
   * into. onEvent(seq, failedOp, error, skipped) when a batch is done
   * (failedOp -1, or the index of the operation that failed, with an errno
   * Error; after a failure or a cancel later batches are skipped), then
   * onEvent(-1, -1) once at the end.
   */
  layerApplyStart(
    rootFd: number,
    ring: Buffer,
    onEvent: (seq: number, failedOp: number, error: NodeJS.ErrnoException | undefined, skipped: boolean) => void,
  ): LayerApplier;
  /** queue a batch; its Buffer must stay untouched until its event */
  layerApplySubmit(applier: LayerApplier, batch: Buffer, seq: number): void;
  /** no more batches: the thread ends after the queued ones */
  layerApplyEnd(applier: LayerApplier): void;
  /** skip the queued batches and end (the last event still comes) */
  layerApplyCancel(applier: LayerApplier): void;

  // --- the containerd shim (native/src/shim.c) ---
  /**
   * mount(2); with a non-empty `chdir`, made by a short-lived child standing
   * in that directory (relative paths in `data`). Errors carry .code/.syscall.
   */
  mount(source: string, target: string, fstype: string, flags: number, data: string, chdir: string): void;
  /** umount2(2); false when nothing is mounted at `target` (EINVAL/ENOENT) */
  unmount(target: string, flags: number): boolean;
  /** waitid(P_ALL, WNOWAIT): the pid of some exited child, left unreaped; 0 when none */
  exitedChild(): number;
  /** pipe2(O_CLOEXEC): [read end, write end] */
  pipe(): [number, number];
}

/** A running layer decoder (native/src/layer_decode_napi.c) */
interface LayerDecoder {
  readonly __layerDecoder: unique symbol;
}

export interface LayerApplier {
  readonly __layerApplier: unique symbol;
}

export interface LayerTimes {
  /** seconds since the epoch; absent: leave that time alone */
  atime?: number;
  atimeNs?: number;
  mtime?: number;
  mtimeNs?: number;
}

export interface LayerEntryMeta extends LayerTimes {
  uid: number;
  gid: number;
  /** permission bits including setuid, setgid and sticky */
  mode: number;
  /** extended attributes to set (never trusted.overlay.*: the addon refuses them) */
  xattrs?: Array<[string, Buffer]>;
}

export interface SyncMessage {
  type: number;
  value: number;
  /** errno reported by the child (0: none) */
  err: number;
  text: string;
}

export interface WaitResult {
  pid: number;
  exitCode: number | null;
  signal: number | null;
}

/** linux.seccomp as compileSeccomp takes it: same arrays and order as config.json. */
export interface NativeSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  /** undefined: runc's default (SPEC_ALLOW if the kernel has it); [] = none */
  flags?: string[];
  syscalls: NativeSeccompRule[];
}

interface NativeSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args: NativeSeccompArg[];
}

interface NativeSeccompArg {
  index: number;
  op: string;
  /** exact uint64 values (JSON numbers lose precision above 2^53) */
  value: bigint;
  valueTwo: bigint;
}

export interface CompiledSeccomp {
  /** struct sock_filter[], host byte order, ENOSYS stub included */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2), NEW_LISTENER included when a rule notifies */
  flags: number;
  warnings: Array<{ path: string; message: string }>;
  /** names this libseccomp does not know: skipped, as runc does */
  unknownSyscalls: string[];
}

export interface SeccompInfo {
  libseccompVersion: string;
  /** bumped when the addon's compiler emits different BPF for the same profile */
  compilerRevision: number;
  apiLevel: number;
  /** e.g. "SCMP_ARCH_X86_64" */
  nativeArch: string;
  /** OCI architecture names this libseccomp can compile for */
  archs: string[];
  /** action name -> available in this kernel */
  actions: Record<string, boolean>;
  /** flag name -> accepted by this kernel's seccomp(2) */
  flags: Record<string, boolean>;
}

let loaded: Native | undefined;

/** Load the addon on first use (tsrun state must not pay for what it does not need). */
export function native(): Native {
  if (!loaded) loaded = require(addonPath()) as Native;
  return loaded;
}

/** A helper executable built beside the addon (native/build/Release/NAME). */
export function nativeExecutable(name: string): string {
  return path.join(path.dirname(addonPath()), name);
}

function addonPath(): string {
  // src/native (vitest) and dist/src/native (built) both sit below the project root
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'native', 'build', 'Release', 'tsrun.node');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('tsrun native addon not found: run `npm run build:native`');
}
