// Every subcommand and its flags, as data. Both the fast argv parser and the
// yargs parser (help, unusual syntax) are driven by this table, so they cannot
// disagree about which flags exist. Flags and aliases follow runc's CLI files
// (create.go, run.go, exec.go, kill.go, delete.go, list.go, ps.go, update.go,
// events.go, spec.go).

type FlagKind = 'string' | 'boolean' | 'list';

export interface FlagDef {
  /** canonical long name, without dashes */
  name: string;
  /** one-letter alias */
  short?: string;
  /** other long names accepted */
  aliases?: string[];
  /** string: last one wins; list: repeatable, values collected in order */
  kind: FlagKind;
  describe: string;
  /** accepted but not shown in help (runc's obsolete flags) */
  hidden?: boolean;
  /** shown in help as the default */
  defaultText?: string;
}

export interface CommandDef {
  name: string;
  aliases?: string[];
  /** one line for the command list */
  summary: string;
  /** the positional part of the usage line */
  usage: string;
  /** longer help text */
  description?: string;
  flags: FlagDef[];
  /** how many positionals are allowed */
  args: { min: number; max: number };
  /** flags end at the first positional (everything after the id belongs to the command: exec, kill, ps) */
  stopAtFirstPositional?: boolean;
  /** creates or reconfigures cgroups, so --systemd-cgroup matters */
  needsCgroupDriver?: boolean;
  /** a command group (`tsrun image ls`): the first argument names one of these */
  subcommands?: CommandDef[];
}

const bundleFlag: FlagDef = {
  name: 'bundle',
  short: 'b',
  kind: 'string',
  describe: 'path to the root of the bundle directory, defaults to the current directory',
};
const consoleSocketFlag: FlagDef = {
  name: 'console-socket',
  kind: 'string',
  describe: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
};
const pidfdSocketFlag: FlagDef = {
  name: 'pidfd-socket',
  kind: 'string',
  describe: 'path to an AF_UNIX socket which will receive a file descriptor referencing the process',
};
const pidFileFlag: FlagDef = { name: 'pid-file', kind: 'string', describe: 'specify the file to write the process id to' };
const noPivotFlag: FlagDef = {
  name: 'no-pivot',
  kind: 'boolean',
  describe: 'do not use pivot root to jail process inside rootfs (for a rootfs on a ramdisk)',
};
const noNewKeyringFlag: FlagDef = {
  name: 'no-new-keyring',
  kind: 'boolean',
  describe: "do not create a new session keyring for the container (it inherits the caller's)",
};
const preserveFdsFlag: FlagDef = {
  name: 'preserve-fds',
  kind: 'string',
  describe: 'pass N additional file descriptors to the container (stdio + N in total)',
  defaultText: '0',
};
const formatFlag: FlagDef = { name: 'format', short: 'f', kind: 'string', describe: 'select one of: table or json', defaultText: 'table' };

const ID_USAGE = '<container-id>';

// `tsrun container …` and `tsrun volume …` (Docker's names and flags): images
// run on an overlayfs rootfs. Their code is in src/container/image-run, loaded
// only when one of them runs.
const S = (name: string, describe: string, short?: string): FlagDef => ({ name, kind: 'string', describe, ...(short ? { short } : {}) });
const B = (name: string, describe: string, short?: string): FlagDef => ({ name, kind: 'boolean', describe, ...(short ? { short } : {}) });
const L = (name: string, describe: string, short?: string): FlagDef => ({ name, kind: 'list', describe, ...(short ? { short } : {}) });
const containerCreateFlags: FlagDef[] = [
  S('name', 'assign a name to the container'),
  B('rm', 'remove the container (and its anonymous volumes) when it exits'),
  B('interactive', 'keep stdin open', 'i'),
  B('tty', 'allocate a pseudo-terminal', 't'),
  L('env', 'set an environment variable (KEY=VALUE, or KEY to take the caller\'s)', 'e'),
  L('env-file', 'read environment variables from a file'),
  L('volume', 'bind mount a volume: NAME:/dst[:ro], /host:/dst[:ro] or /dst (anonymous)', 'v'),
  L('mount', 'type=bind|volume|tmpfs,source=…,target=…[,readonly]'),
  L('tmpfs', 'mount a tmpfs: /dst[:options]'),
  S('memory', 'memory limit (b, k, m, g)', 'm'),
  S('memory-swap', 'memory plus swap limit; -1 for unlimited swap'),
  S('cpus', 'number of CPUs (e.g. 0.5)'),
  S('cpu-shares', 'CPU shares (relative weight)', 'c'),
  S('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  S('pids-limit', 'process limit (-1 for unlimited)'),
  B('read-only', "mount the container's root filesystem read-only"),
  S('user', 'username or uid, with an optional group: name|uid[:group|gid]', 'u'),
  S('workdir', 'working directory inside the container', 'w'),
  S('entrypoint', "overwrite the image's ENTRYPOINT (\"\" clears it)"),
  // -h is the host name, as in Docker (whose help is --help only)
  S('hostname', 'container host name', 'h'),
  L('cap-add', 'add Linux capabilities'),
  L('cap-drop', 'drop Linux capabilities'),
  L('security-opt', 'no-new-privileges, seccomp=FILE or seccomp=unconfined'),
  S('pull', 'pull the image: missing, always or never', undefined),
  S('platform', 'os/arch[/variant] when pulling'),
  S('stop-signal', 'signal to stop the container (default: the image\'s, else SIGTERM)'),
  S('network', 'bridge (default), host, none (loopback only), or a network made by tsrun network create'),
  L('publish', 'publish a port: [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]', 'p'),
  S('ip', 'IPv4 address on a user-defined network'),
  L('dns', 'nameserver for /etc/resolv.conf (replaces the host\'s)'),
  L('add-host', 'add a line to /etc/hosts: NAME:IP (IP may be host-gateway)'),
];
const containerCreate: CommandDef = {
  name: 'container create',
  summary: 'create a container from an image',
  usage: 'IMAGE [COMMAND] [ARG...]',
  flags: containerCreateFlags,
  args: { min: 1, max: Infinity },
  stopAtFirstPositional: true,
};
const NAMES = 'CONTAINER [CONTAINER...]';
const containerCommands: CommandDef[] = [
  {
    name: 'container run',
    summary: 'create and start a container from an image',
    usage: 'IMAGE [COMMAND] [ARG...]',
    flags: [...containerCreateFlags, B('detach', 'run in the background and print the container id', 'd')],
    args: { min: 1, max: Infinity },
    stopAtFirstPositional: true,
  },
  containerCreate,
  { name: 'container start', summary: 'start containers', usage: NAMES, flags: [B('attach', "attach to the container's output and exit with its status", 'a')], args: { min: 1, max: Infinity } },
  { name: 'container stop', summary: 'stop containers: the stop signal, then SIGKILL after the timeout', usage: NAMES, flags: [S('time', 'seconds to wait before SIGKILL (default 10)', 't'), S('signal', 'signal to send (default: the stop signal)', 's')], args: { min: 1, max: Infinity } },
  { name: 'container kill', summary: 'send a signal to containers', usage: NAMES, flags: [S('signal', 'signal to send (default SIGKILL)', 's')], args: { min: 1, max: Infinity } },
  { name: 'container pause', summary: 'freeze the processes of containers', usage: NAMES, flags: [], args: { min: 1, max: Infinity } },
  { name: 'container unpause', summary: 'thaw the processes of containers', usage: NAMES, flags: [], args: { min: 1, max: Infinity } },
  { name: 'container rm', aliases: ['container remove'], summary: 'remove containers', usage: NAMES, flags: [B('force', 'kill a running container first', 'f'), B('volumes', 'remove its anonymous volumes', 'v')], args: { min: 1, max: Infinity } },
  { name: 'container ls', aliases: ['container list', 'container ps'], summary: 'list containers', usage: '', flags: [B('all', 'show all containers (default: running ones)', 'a'), B('quiet', 'only ids', 'q'), S('format', 'table or json')], args: { min: 0, max: 0 } },
  { name: 'container logs', summary: 'show the output of a detached container', usage: 'CONTAINER', flags: [B('follow', 'keep following until it stops', 'f')], args: { min: 1, max: 1 } },
  { name: 'container inspect', summary: 'show containers as JSON', usage: NAMES, flags: [], args: { min: 1, max: Infinity } },
  { name: 'container prune', summary: 'remove all stopped containers', usage: '', flags: [B('force', 'do not ask (tsrun never asks)', 'f')], args: { min: 0, max: 0 } },
  {
    name: 'container exec',
    summary: 'run a command in a running container',
    usage: 'CONTAINER COMMAND [ARG...]',
    flags: [B('interactive', 'keep stdin open', 'i'), B('tty', 'allocate a pseudo-terminal', 't'), B('detach', 'run in the background', 'd'), L('env', 'set an environment variable', 'e'), S('user', "name or uid, with an optional group (name|uid[:group|gid]), resolved in the container's /etc/passwd and /etc/group", 'u'), S('workdir', 'working directory', 'w')],
    args: { min: 2, max: Infinity },
    stopAtFirstPositional: true,
  },
];
const volumeCommands: CommandDef[] = [
  { name: 'volume create', summary: 'create a volume', usage: '[NAME]', flags: [], args: { min: 0, max: 1 } },
  { name: 'volume ls', aliases: ['volume list'], summary: 'list volumes', usage: '', flags: [B('quiet', 'only names', 'q'), S('format', 'table or json')], args: { min: 0, max: 0 } },
  { name: 'volume rm', aliases: ['volume remove'], summary: 'remove volumes (not one a container uses)', usage: 'VOLUME [VOLUME...]', flags: [B('force', 'no error for a missing volume', 'f')], args: { min: 1, max: Infinity } },
  { name: 'volume inspect', summary: 'show volumes as JSON', usage: 'VOLUME [VOLUME...]', flags: [], args: { min: 1, max: Infinity } },
  { name: 'volume prune', summary: 'remove unused anonymous volumes (--all: named ones too)', usage: '', flags: [B('all', 'named volumes too', 'a'), B('force', 'do not ask (tsrun never asks)', 'f')], args: { min: 0, max: 0 } },
];


// Image commands (Docker's names and flags). Their code is in src/image and
// loads only when one of them runs.
const imagePull: CommandDef = {
  name: 'pull',
  summary: 'download an image from a registry into the image store',
  usage: 'NAME[:TAG|@DIGEST]',
  description:
    'NAME follows Docker: busybox means docker.io/library/busybox:latest. Layers are verified and unpacked under --image-root; ' +
    'registries are configured in --registries-config, credentials come from Docker\'s config.json (tsrun login).',
  flags: [
    { name: 'platform', kind: 'string', describe: 'os/arch[/variant] to pull from a multi-platform image (default: this machine)' },
    { name: 'quiet', short: 'q', kind: 'boolean', describe: 'print only the digest' },
    { name: 'progress', kind: 'string', describe: 'auto (bars on a terminal, plain lines otherwise), plain, tty or json', defaultText: 'auto' },
  ],
  args: { min: 1, max: 1 },
};
const imageList: CommandDef = {
  name: 'images',
  summary: 'list the images in the image store',
  usage: '',
  flags: [
    { name: 'format', short: 'f', kind: 'string', describe: 'table, or json (one object per line)', defaultText: 'table' },
    { name: 'quiet', short: 'q', kind: 'boolean', describe: 'only image ids' },
  ],
  args: { min: 0, max: 0 },
};
const imageRemove: CommandDef = {
  name: 'rmi',
  summary: 'remove images (untag; delete what no other image or container uses)',
  usage: 'IMAGE [IMAGE...]',
  flags: [{ name: 'force', short: 'f', kind: 'boolean', describe: 'remove the name even when a container uses the image (its layers stay)' }],
  args: { min: 1, max: Infinity },
};
const imageInspect: CommandDef = {
  name: 'image inspect',
  summary: 'show what the store knows about images, as JSON',
  usage: 'IMAGE [IMAGE...]',
  flags: [],
  args: { min: 1, max: Infinity },
};
const imagePrune: CommandDef = {
  name: 'image prune',
  summary: 'remove unreferenced blobs and layers, and interrupted downloads',
  usage: '',
  description: 'Never removes a layer a container uses. Waits for pulls in progress.',
  flags: [{ name: 'force', short: 'f', kind: 'boolean', describe: 'accepted for compatibility (tsrun does not prompt)' }],
  args: { min: 0, max: 0 },
};
const imageLoad: CommandDef = {
  name: 'image load',
  summary: 'load images from an OCI image layout tar or a docker save archive',
  usage: '',
  flags: [
    { name: 'input', short: 'i', kind: 'string', describe: 'read from this file instead of stdin (tar, optionally gzip or zstd compressed)' },
    { name: 'quiet', short: 'q', kind: 'boolean', describe: 'no progress' },
  ],
  args: { min: 0, max: 0 },
};
const imageSave: CommandDef = {
  name: 'image save',
  summary: 'save images as an OCI image layout tar (docker load takes it too)',
  usage: 'IMAGE [IMAGE...]',
  flags: [{ name: 'output', short: 'o', kind: 'string', describe: 'write to this file instead of stdout' }],
  args: { min: 1, max: Infinity },
};

// Network commands (Docker's names and flags). Their code is in src/network
// and loads only when one of them (or a container that uses a network) runs.
const networkCommands: CommandDef[] = [
  {
    name: 'network create',
    summary: 'create a bridge network (a CNI conflist under --image-root)',
    usage: 'NAME',
    description:
      'Containers on a user-defined network resolve each other by name. Without --subnet a free range of ' +
      "Docker's default pools is chosen; a subnet that overlaps another network's is refused.",
    flags: [
      { name: 'subnet', kind: 'string', describe: 'IPv4 subnet in CIDR form, e.g. 10.89.0.0/24' },
      { name: 'gateway', kind: 'string', describe: 'IPv4 gateway of the subnet (default: its first address)' },
      { name: 'internal', kind: 'boolean', describe: 'no way out of the bridge: no gateway, no masquerading, no published ports' },
      { name: 'driver', short: 'd', kind: 'string', describe: 'only bridge is supported', defaultText: 'bridge' },
    ],
    args: { min: 1, max: 1 },
  },
  {
    name: 'network ls',
    aliases: ['network list'],
    summary: 'list networks',
    usage: '',
    flags: [
      { name: 'format', short: 'f', kind: 'string', describe: 'table, or json (one object per line)', defaultText: 'table' },
      { name: 'quiet', short: 'q', kind: 'boolean', describe: 'only network ids' },
    ],
    args: { min: 0, max: 0 },
  },
  {
    name: 'network inspect',
    summary: 'show networks and the containers attached to them, as JSON',
    usage: 'NETWORK [NETWORK...]',
    flags: [],
    args: { min: 1, max: Infinity },
  },
  {
    name: 'network rm',
    aliases: ['network remove'],
    summary: 'remove networks (not while containers are attached)',
    usage: 'NETWORK [NETWORK...]',
    flags: [],
    args: { min: 1, max: Infinity },
  },
  {
    name: 'network prune',
    summary: 'remove every user-defined network no container is attached to',
    usage: '',
    flags: [{ name: 'force', short: 'f', kind: 'boolean', describe: 'accepted for compatibility (tsrun does not prompt)' }],
    args: { min: 0, max: 0 },
  },
];

export const COMMANDS: readonly CommandDef[] = [
  {
    name: 'create',
    summary: 'create a container',
    usage: ID_USAGE,
    description:
      'Create an instance of a container from a bundle (a directory with config.json and a root filesystem). ' +
      'The container process is set up and waits; `tsrun start` runs the program from process.args.',
    flags: [
      bundleFlag,
      consoleSocketFlag,
      pidfdSocketFlag,
      pidFileFlag,
      noPivotFlag,
      noNewKeyringFlag,
      preserveFdsFlag,
      // go-runc may send --detach to create; create always detaches
      { name: 'detach', short: 'd', kind: 'boolean', describe: 'accepted for compatibility; create always detaches', hidden: true },
    ],
    args: { min: 1, max: 1 },
    needsCgroupDriver: true,
  },
  {
    name: 'run',
    summary: 'create and run a container',
    usage: ID_USAGE,
    description: 'Create a container from a bundle and start it (create + start; deleted after it exits unless --keep or --detach).',
    flags: [
      bundleFlag,
      consoleSocketFlag,
      pidfdSocketFlag,
      { name: 'detach', short: 'd', kind: 'boolean', describe: "detach from the container's process" },
      { name: 'keep', kind: 'boolean', describe: 'do not delete the container after it exits' },
      pidFileFlag,
      { name: 'no-subreaper', kind: 'boolean', describe: 'disable the use of the subreaper used to reap reparented processes' },
      noPivotFlag,
      noNewKeyringFlag,
      preserveFdsFlag,
    ],
    args: { min: 1, max: 1 },
    needsCgroupDriver: true,
  },
  {
    name: 'start',
    summary: 'executes the user defined process in a created container',
    usage: ID_USAGE,
    flags: [],
    args: { min: 1, max: 1 },
  },
  {
    name: 'state',
    summary: 'output the state of a container',
    usage: ID_USAGE,
    flags: [],
    args: { min: 1, max: 1 },
  },
  {
    name: 'list',
    aliases: ['ls'],
    summary: 'lists containers started by tsrun with the given root',
    usage: '',
    description: 'List the containers under --root. For stopped ones the table shows why: stopped(exited) or stopped(dead).',
    flags: [formatFlag, { name: 'quiet', short: 'q', kind: 'boolean', describe: 'display only container IDs' }],
    args: { min: 0, max: 0 },
  },
  {
    name: 'kill',
    summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
    usage: `${ID_USAGE} [signal]`,
    description: 'The signal is a number or a name with or without SIG, e.g. 9, KILL, SIGKILL.',
    flags: [{ name: 'all', short: 'a', kind: 'boolean', describe: '(obsolete) succeed when the container is not running', hidden: true }],
    args: { min: 1, max: 2 },
    stopAtFirstPositional: true,
  },
  {
    name: 'delete',
    aliases: ['rm'],
    summary: 'delete any resources held by the container',
    usage: ID_USAGE,
    flags: [{ name: 'force', short: 'f', kind: 'boolean', describe: 'forcibly deletes the container if it is still running (uses SIGKILL)' }],
    args: { min: 1, max: 1 },
  },
  {
    name: 'exec',
    summary: 'execute new process inside the container',
    usage: `${ID_USAGE} <command> [args...]  ||  -p process.json ${ID_USAGE}`,
    description: 'Flags go before the container id; everything after it is the command and its arguments.',
    flags: [
      consoleSocketFlag,
      pidfdSocketFlag,
      { name: 'cwd', kind: 'string', describe: 'current working directory in the container' },
      { name: 'env', short: 'e', kind: 'list', describe: 'set environment variables (repeatable)' },
      { name: 'tty', short: 't', kind: 'boolean', describe: 'allocate a pseudo-TTY' },
      { name: 'user', short: 'u', kind: 'string', describe: 'UID (format: <uid>[:<gid>])' },
      { name: 'additional-gids', short: 'g', kind: 'list', describe: 'additional gids (repeatable)' },
      { name: 'process', short: 'p', kind: 'string', describe: 'path to the process.json' },
      { name: 'detach', short: 'd', kind: 'boolean', describe: "detach from the container's process" },
      pidFileFlag,
      { name: 'process-label', kind: 'string', describe: 'set the asm process label for the process commonly used with selinux' },
      { name: 'apparmor', kind: 'string', describe: 'set the apparmor profile for the process' },
      { name: 'no-new-privs', kind: 'boolean', describe: 'set the no new privileges value for the process' },
      { name: 'cap', short: 'c', kind: 'list', describe: 'add a capability to the bounding set for the process (repeatable)' },
      preserveFdsFlag,
      { name: 'cgroup', kind: 'list', describe: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.' },
      { name: 'ignore-paused', kind: 'boolean', describe: 'allow exec in a paused container' },
    ],
    args: { min: 1, max: Infinity },
    stopAtFirstPositional: true,
  },
  {
    name: 'pause',
    summary: 'pause suspends all processes inside the container',
    usage: ID_USAGE,
    flags: [],
    args: { min: 1, max: 1 },
  },
  {
    name: 'resume',
    summary: 'resumes all processes that have been previously paused',
    usage: ID_USAGE,
    flags: [],
    args: { min: 1, max: 1 },
  },
  {
    name: 'ps',
    summary: 'ps displays the processes running inside a container',
    usage: `${ID_USAGE} [ps options]`,
    description: 'With --format table, the arguments after the id go to ps(1) (default -ef).',
    flags: [formatFlag],
    args: { min: 1, max: Infinity },
    stopAtFirstPositional: true,
  },
  {
    name: 'update',
    summary: 'update container resource constraints',
    usage: ID_USAGE,
    description: "With --resources, the JSON (LinuxResources) is read from the file or from stdin ('-') and the other flags are ignored.",
    flags: [
      {
        name: 'resources',
        short: 'r',
        kind: 'string',
        describe: "path to the file containing the resources to update or '-' to read from the standard input",
      },
      { name: 'blkio-weight', kind: 'string', describe: 'Specifies per cgroup weight, range is from 10 to 1000' },
      { name: 'cpu-period', kind: 'string', describe: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default' },
      { name: 'cpu-quota', kind: 'string', describe: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period' },
      { name: 'cpu-burst', kind: 'string', describe: 'CPU CFS hardcap burst limit (in usecs)' },
      { name: 'cpu-share', aliases: ['cpu-shares'], kind: 'string', describe: 'CPU shares (relative weight vs. other containers)' },
      { name: 'cpu-rt-period', kind: 'string', describe: 'CPU realtime period to be used for hardcapping (in usecs)' },
      { name: 'cpu-rt-runtime', kind: 'string', describe: 'CPU realtime hardcap limit (in usecs)' },
      { name: 'cpuset-cpus', kind: 'string', describe: 'CPU(s) to use' },
      { name: 'cpuset-mems', kind: 'string', describe: 'Memory node(s) to use' },
      { name: 'kernel-memory', kind: 'string', describe: '(obsolete; ignored)', hidden: true },
      { name: 'kernel-memory-tcp', kind: 'string', describe: '(obsolete; ignored)', hidden: true },
      { name: 'memory', kind: 'string', describe: 'Memory limit (in bytes, or with a unit: 64m, 1g)' },
      { name: 'cpu-idle', kind: 'string', describe: 'set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE' },
      { name: 'memory-reservation', kind: 'string', describe: 'Memory reservation or soft_limit (in bytes)' },
      { name: 'memory-swap', kind: 'string', describe: "Total memory usage (memory + swap); set '-1' to enable unlimited swap" },
      { name: 'pids-limit', kind: 'string', describe: 'Maximum number of pids allowed in the container' },
      { name: 'l3-cache-schema', kind: 'string', describe: 'The string of Intel RDT/CAT L3 cache schema' },
      { name: 'mem-bw-schema', kind: 'string', describe: 'The string of Intel RDT/MBA memory bandwidth schema' },
    ],
    args: { min: 1, max: 1 },
    needsCgroupDriver: true,
  },
  {
    name: 'events',
    summary: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    usage: ID_USAGE,
    flags: [
      { name: 'interval', kind: 'string', describe: 'set the stats collection interval (Go duration: 5s, 500ms)', defaultText: '5s' },
      { name: 'stats', kind: 'boolean', describe: "display the container's stats then exit" },
    ],
    args: { min: 1, max: 1 },
  },
  {
    name: 'spec',
    summary: 'create a new specification file',
    usage: '',
    description: 'Write a starter config.json into the bundle directory (args ["sh"], terminal true). Refuses to overwrite one.',
    flags: [
      { name: 'bundle', short: 'b', kind: 'string', describe: 'path to the root of the bundle directory' },
      { name: 'rootless', kind: 'boolean', describe: 'generate a configuration for a rootless container' },
    ],
    args: { min: 0, max: 0 },
  },
  {
    name: 'features',
    summary: 'show the enabled features',
    usage: '',
    flags: [],
    args: { min: 0, max: 0 },
  },
  imagePull,
  imageList,
  imageRemove,
  {
    name: 'image',
    summary: 'manage images: ls, rm, inspect, prune, load, save, pull',
    usage: 'COMMAND',
    flags: [],
    args: { min: 0, max: Infinity },
    stopAtFirstPositional: true,
    subcommands: [
      { ...imageList, name: 'image ls', aliases: ['image list'] },
      { ...imageRemove, name: 'image rm', aliases: ['image remove'] },
      imageInspect,
      imagePrune,
      imageLoad,
      imageSave,
      { ...imagePull, name: 'image pull' },
    ],
  },
  {
    name: 'network',
    summary: 'manage networks: create, ls, inspect, rm, prune',
    usage: 'COMMAND',
    flags: [],
    args: { min: 0, max: Infinity },
    stopAtFirstPositional: true,
    subcommands: networkCommands,
  },
  {
    name: 'container',
    summary: 'run images as containers, Docker style: run, create, start, stop, kill, pause, unpause, rm, ls, logs, exec, inspect, prune',
    usage: 'COMMAND',
    flags: [],
    args: { min: 0, max: Infinity },
    stopAtFirstPositional: true,
    subcommands: containerCommands,
  },
  {
    name: 'volume',
    summary: 'manage volumes: create, ls, rm, inspect, prune',
    usage: 'COMMAND',
    flags: [],
    args: { min: 0, max: Infinity },
    stopAtFirstPositional: true,
    subcommands: volumeCommands,
  },
  {
    name: 'login',
    summary: "log in to a registry (credentials go to Docker's config.json)",
    usage: '[REGISTRY]',
    description: 'REGISTRY defaults to docker.io. The password comes from --password-stdin, or is asked for on a terminal.',
    flags: [
      { name: 'username', short: 'u', kind: 'string', describe: 'user name' },
      { name: 'password', short: 'p', kind: 'string', describe: 'password (visible to other users of this machine: prefer --password-stdin)' },
      { name: 'password-stdin', kind: 'boolean', describe: 'read the password from stdin' },
    ],
    args: { min: 0, max: 1 },
  },
  {
    name: 'logout',
    summary: 'forget the credentials of a registry',
    usage: '[REGISTRY]',
    flags: [],
    args: { min: 0, max: 1 },
  },
];

export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

/** `image ls` -> the "image ls" definition of the image group. */
export function findSubcommand(group: CommandDef, name: string): CommandDef | undefined {
  const full = `${group.name} ${name}`;
  return group.subcommands?.find((c) => c.name === full || (c.aliases ?? []).includes(full));
}

/** Look a flag up by long name or alias ("bundle", "cpu-shares") or by its letter ("b"). */
export function findFlag(def: CommandDef, name: string): FlagDef | undefined {
  if (name.length === 1) return def.flags.find((f) => f.short === name);
  return def.flags.find((f) => f.name === name || (f.aliases ?? []).includes(name));
}
