// The networks of one image root:
//   <image-root>/networks/
//     <name>.conflist          one CNI conflist per network (conflist.ts)
//     attachments/<id>.json    what each container is attached to (written before the CNI ADD)
//     ipam/                    host-local's leases (its dataDir)
//     etc/<id>/                the container's hosts, resolv.conf and hostname
//     .lock                    flock: create, rm, prune and attach/detach run one at a time
// The default network "bridge" is written the first time the store is opened.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { native, type Native } from '../native';
import { formatCidr, isHostAddress, overlaps, parseCidr, parseIpv4, type Ipv4Prefix } from './cidr';
import {
  BRIDGE_DEVICE_PREFIX,
  buildConflist,
  DEFAULT_BRIDGE_DEVICE,
  DEFAULT_NETWORK,
  DEFAULT_SUBNET,
  RESERVED_NAMES,
  specOf,
  type Conflist,
  type NetworkSpec,
} from './conflist';
import { NetworkError, NetworkNotFoundError, NetworkUsageError } from './errors';

/** Docker's rule for network names */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_NAME = 64;

export interface CreateRequest {
  name: string;
  subnet?: string;
  gateway?: string;
  internal: boolean;
}

export interface StoredNetwork {
  spec: NetworkSpec;
  conflist: Conflist;
  file: string;
}

/** Docker's default address pools: 172.18-31.0.0/16, then 192.168.0-240.0/20 */
function* candidatePools(): Generator<Ipv4Prefix> {
  for (let b = 18; b <= 31; b++) yield parseCidr(`172.${b}.0.0/16`, 'pool');
  for (let c = 0; c < 256; c += 16) yield parseCidr(`192.168.${c}.0/20`, 'pool');
}

/** The destinations routed in this network namespace (/proc/net/route), so an automatic subnet avoids them. */
function routedPrefixes(): Ipv4Prefix[] {
  let text: string;
  try {
    text = fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const out: Ipv4Prefix[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // little-endian hex
    const le = (h: string) => Number.parseInt(h.match(/../g)?.reverse().join('') ?? '0', 16) >>> 0;
    const dest = le(f[1] as string);
    const maskBits = le(f[7] as string).toString(2).replace(/0/g, '').length;
    if (maskBits > 0) out.push({ base: dest, bits: maskBits });
  }
  return out;
}

export class NetworkStore {
  readonly dir: string;
  readonly attachmentsDir: string;
  readonly ipamDir: string;
  readonly etcDir: string;
  private readonly n: Native;

  private constructor(imageRoot: string, n: Native) {
    this.dir = path.join(imageRoot, 'networks');
    this.attachmentsDir = path.join(this.dir, 'attachments');
    this.ipamDir = path.join(this.dir, 'ipam');
    this.etcDir = path.join(this.dir, 'etc');
    this.n = n;
  }

  static open(imageRoot: string, n: Native = native()): NetworkStore {
    const s = new NetworkStore(imageRoot, n);
    for (const d of [s.dir, s.attachmentsDir, s.ipamDir, s.etcDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(s.fileOf(DEFAULT_NETWORK))) {
      s.withLock(() => {
        if (fs.existsSync(s.fileOf(DEFAULT_NETWORK))) return;
        const subnet = parseCidr(DEFAULT_SUBNET, 'default');
        s.write({
          name: DEFAULT_NETWORK,
          id: randomId(),
          created: new Date().toISOString(),
          bridge: DEFAULT_BRIDGE_DEVICE,
          subnet,
          gateway: subnet.base + 1,
          internal: false,
          nameResolution: false,
        });
      });
    }
    return s;
  }

  /** Run fn holding the store's exclusive lock (released by the kernel if tsrun dies). */
  withLock<T>(fn: () => T): T {
    const fd = fs.openSync(path.join(this.dir, '.lock'), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    try {
      this.n.flock(fd, true, false);
      return fn();
    } finally {
      fs.closeSync(fd);
    }
  }

  fileOf(name: string): string {
    return path.join(this.dir, `${name}.conflist`);
  }

  list(): StoredNetwork[] {
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.conflist'))
      .sort()
      .map((f) => this.read(path.join(this.dir, f)));
  }

  /** By name, full id or a unique id prefix (as Docker). */
  get(nameOrId: string): StoredNetwork {
    if (NAME.test(nameOrId) && fs.existsSync(this.fileOf(nameOrId))) return this.read(this.fileOf(nameOrId));
    const byId = this.list().filter((n) => nameOrId.length >= 3 && n.spec.id.startsWith(nameOrId));
    if (byId.length === 1) return byId[0] as StoredNetwork;
    if (byId.length > 1) throw new NetworkError(`network ${nameOrId} is ambiguous (${byId.length} matches found based on ID prefix)`);
    throw new NetworkNotFoundError(nameOrId);
  }

  private read(file: string): StoredNetwork {
    let conflist: Conflist;
    try {
      conflist = JSON.parse(fs.readFileSync(file, 'utf8')) as Conflist;
    } catch (e) {
      throw new NetworkError(`network config ${file}: ${(e as Error).message}`, { cause: e, path: file });
    }
    return { spec: specOf(conflist, file), conflist, file };
  }

  private write(spec: NetworkSpec): StoredNetwork {
    const conflist = buildConflist(spec);
    const file = this.fileOf(spec.name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(conflist, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
    return { spec, conflist, file };
  }

  /** Validate, then write the conflist; nothing is written when a check fails. */
  create(req: CreateRequest): StoredNetwork {
    const name = req.name;
    if (!NAME.test(name) || name.length > MAX_NAME) {
      throw new NetworkUsageError(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at most ${MAX_NAME} characters`);
    }
    if (RESERVED_NAMES.includes(name)) throw new NetworkUsageError(`network name ${name} is reserved: it is a mode of --network (${RESERVED_NAMES.join(', ')})`);
    if (req.gateway !== undefined && req.subnet === undefined) throw new NetworkUsageError('--gateway needs --subnet');
    const explicit = req.subnet === undefined ? undefined : parseCidr(req.subnet, '--subnet');
    let gateway: number | undefined;
    if (req.gateway !== undefined) {
      gateway = parseIpv4(req.gateway);
      if (gateway === undefined) throw new NetworkUsageError(`--gateway: invalid address ${JSON.stringify(req.gateway)}: expected IPv4`);
      if (!isHostAddress(explicit as Ipv4Prefix, gateway)) throw new NetworkUsageError(`--gateway: ${req.gateway} is not a host address of subnet ${req.subnet}`);
    }
    return this.withLock(() => {
      const existing = this.list();
      if (existing.some((n) => n.spec.name === name)) throw new NetworkError(`network with name ${name} already exists`);
      let subnet: Ipv4Prefix;
      if (explicit) {
        const clash = existing.find((n) => overlaps(n.spec.subnet, explicit));
        if (clash) {
          throw new NetworkError(
            `invalid pool request: Pool overlaps with other one on this address space: --subnet ${req.subnet} overlaps network ${clash.spec.name} (${formatCidr(clash.spec.subnet)})`,
          );
        }
        subnet = explicit;
      } else {
        const taken = [...existing.map((n) => n.spec.subnet), ...routedPrefixes()];
        const free = [...candidatePools()].find((p) => !taken.some((t) => overlaps(t, p)));
        if (!free) throw new NetworkError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network (give --subnet)');
        subnet = free;
      }
      const id = randomId();
      return this.write({
        name,
        id,
        created: new Date().toISOString(),
        bridge: `${BRIDGE_DEVICE_PREFIX}-${id.slice(0, 9)}`,
        subnet,
        gateway: gateway ?? subnet.base + 1,
        internal: req.internal,
        nameResolution: true,
      });
    });
  }

  /** Remove the conflist (the caller holds the lock and has checked that nothing is attached). */
  removeFile(n: StoredNetwork): void {
    fs.rmSync(n.file, { force: true });
    fs.rmSync(path.join(this.ipamDir, n.spec.name), { recursive: true, force: true });
  }
}

function randomId(): string {
  return crypto.randomBytes(32).toString('hex');
}
