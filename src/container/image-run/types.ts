// Types of `tsrun container` (images run with Docker's habits): the options
// the CLI parses its flags into, and what is kept about each container.


/** A -v, --mount or --tmpfs request. */
export type VolumeSpec =
  | { kind: 'named'; name: string; target: string; readonly: boolean }
  /** `-v /dst` or an image's Volumes entry: a fresh volume, removed with the container by rm -v / --rm */
  | { kind: 'anonymous'; target: string; readonly: boolean }
  | { kind: 'bind'; source: string; target: string; readonly: boolean }
  | { kind: 'tmpfs'; target: string; options: string[] };

interface ResourceFlags {
  /** bytes */
  memory?: number;
  /** bytes of memory + swap; -1 unlimited */
  memorySwap?: number;
  cpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
}

/** Everything `container create` / `run` takes besides the image and command. */
export interface ContainerFlags {
  name?: string;
  /** KEY=VALUE in order: --env-file entries first, then -e (later ones win) */
  env: string[];
  volumes: VolumeSpec[];
  resources: ResourceFlags;
  readOnly: boolean;
  /** -u as typed: name|uid[:group|gid] */
  user?: string;
  workdir?: string;
  /** --entrypoint ("" clears the image's) */
  entrypoint?: string;
  hostname?: string;
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges: boolean;
  /** --security-opt seccomp=: "unconfined", or a profile (linux.seccomp JSON) already read */
  seccomp?: 'unconfined' | Record<string, unknown>;
  stopSignal?: string;
  /** --network: bridge (default), host, none, or a network's name or id (src/network) */
  network: string;
  /** -p values, as typed (parsed by src/network before anything is made) */
  publish: string[];
  dns: string[];
  addHosts: string[];
  ip?: string;
  tty: boolean;
  interactive: boolean;
}

/** One container of `tsrun container`, kept in <image-root>/containers/<id>/record.json. */
export interface ContainerRecord {
  id: string;
  name: string;
  /** as typed / known ("busybox:latest") */
  image: string;
  /** the config digest */
  imageId: string;
  created: string;
  /** the process's args */
  command: string[];
  autoRemove: boolean;
  stopSignal: string;
  /** volumes it mounts (named and anonymous) */
  volumes: Array<{ name: string; anonymous: boolean; target: string }>;
  /** -d: stdout and stderr are in <dir>/container.log */
  detached: boolean;
  tty: boolean;
  interactive: boolean;
}

/** Written when the container's init exits (by the foreground run or the monitor of -d). */
export interface ExitRecord {
  code: number;
  finishedAt: string;
}

/** monitor.json: the tsrun-monitor of a detached container, as it recorded itself (start time in clock ticks) */
export interface MonitorRecord {
  pid: number;
  startTime: number;
}
