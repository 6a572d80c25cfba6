// The kernel's view of processes and files, for assertions: /proc/<pid>/status,
// liveness, pid namespaces, capability masks, files a container writes.
import fs from 'node:fs';

/** Fields of /proc/<pid>/status (undefined when the process is gone). */
export function procStatus(pid: number | string): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatus(text);
}

export function parseStatus(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** The command name of a process (comm), or undefined when gone. */
export function procComm(pid: number | string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Is `pid` alive and not a zombie? */
export function isAlive(pid: number): boolean {
  const st = procStatus(pid);
  return st !== undefined && !st.State?.startsWith('Z') && !st.State?.startsWith('X');
}

/** The pid of a host process as its innermost pid namespace numbers it. */
export function nsPid(hostPid: number): number {
  const status = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
  const pids = (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
  return pids[pids.length - 1] ?? hostPid;
}

/** "dev:ino" of a host file, the way fstat sees it inside a container. */
export function devIno(file: string): string {
  const st = fs.statSync(file);
  return `${st.dev}:${st.ino}`;
}

/** Capability names -> the hex mask /proc/<pid>/status prints (16 digits). */
export function capMask(names: readonly string[]): string {
  // kernel numbering, as in linux/capability.h (kept apart from oci-spec's list on purpose)
  const order = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
    'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
    'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
    'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
    'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
    'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  ];
  let mask = 0n;
  for (const n of names) {
    const bit = order.indexOf(n);
    if (bit < 0) throw new Error(`unknown capability ${n}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

export function readMaybe(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file's text once a complete line is in it (a shell creates the file before it writes). */
export function completeText(file: string): string | undefined {
  const t = readMaybe(file);
  return t && t.endsWith('\n') ? t : undefined;
}

/** The last number of a counter file the container appends to (one number per line). */
export function lastCount(file: string): number {
  const lines = (readMaybe(file) ?? '').trim().split('\n');
  return Number(lines[lines.length - 1] || 0);
}
