// Deliberate differences from Debian's runc 1.1.5, as named rules. Each one
// is listed in docs/conformance.md with its reason and the runc it follows.
// A rule either gives runc the config that expresses what tsrun deliberately
// does (`reference`: runc then has to produce exactly tsrun's result), or
// rewrites runc's view where tsrun deliberately differs (`reconcile`), after
// checking that the difference has exactly the expected shape. Nothing is
// skipped silently: every case a rule touched counts as "explained by rules"
// and names the rule; whatever else differs is still a divergence.
import { CAPABILITIES } from '../../../oci-spec';
import { ROOTFS_DIR_LINKS } from './bundle';
import type { DiffCase, Spec } from './case';

export interface View {
  outcome: string;
  exit?: string;
  probe?: Record<string, unknown>;
  hooks: { host: Record<string, unknown>[]; container: Record<string, unknown>[] };
  /** the runtime's own words (stderr), for rules that match an error */
  said: string;
}

export interface RuleHost {
  /** the capability bounding set of the runtimes' caller */
  boundingSet: bigint;
}

export interface Rule {
  name: string;
  /** one line: what differs and why (docs/conformance.md has the long form) */
  reason: string;
  /** the runc (or spec) tsrun follows here */
  follows: string;
  /** the config runc gets instead of the case's, or undefined when the rule does not apply */
  reference?(config: Spec, host: RuleHost): Spec | undefined;
  /** edit runc's view where tsrun deliberately differs; true when it changed something */
  reconcile?(config: Spec, runc: View, tsrun: View): boolean;
}

type AnyObj = Record<string, any>;

const linuxOf = (c: Spec): AnyObj => (c.linux ?? {}) as AnyObj;
const ownNamespaces = (c: Spec): string[] => ((linuxOf(c).namespaces ?? []) as AnyObj[]).filter((n) => !n.path).map((n) => String(n.type));
/** What runc 1.1.5's init calls after loading a profile without no_new_privileges, and the profile does not allow. */
function missingAfterFilter(config: Spec): string[] {
  const s = linuxOf(config).seccomp as AnyObj | undefined;
  if (!s || s.defaultAction === 'SCMP_ACT_ALLOW' || ((config.process ?? {}) as AnyObj).noNewPrivileges === true) return [];
  const allowed = new Set(((s.syscalls ?? []) as AnyObj[]).filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names ?? []));
  return ['getppid', 'faccessat2'].filter((n) => !allowed.has(n));
}

/** the architecture this host runs (the harness runs on x86_64 machines) */
const NATIVE_ARCH = ({ x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' } as Record<string, string>)[process.arch] ?? 'SCMP_ARCH_NATIVE';
const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/** A hook of the generator's that sleeps (probe --sleep MS) past its timeout, so the runtime kills it. */
function outlastsTimeout(h: AnyObj): boolean {
  const args = (h.args ?? []) as string[];
  const i = args.indexOf('--sleep');
  return typeof h.timeout === 'number' && h.timeout > 0 && i >= 0 && Number(args[i + 1]) > h.timeout * 1000;
}

/** A copy to edit freely (rules reach into nested fields the Spec type leaves open). */
function clone(c: Spec): AnyObj {
  return structuredClone(c) as AnyObj;
}

/** A path in the case's rootfs with its directory symlinks resolved (what the runtimes mount at). */
function resolvedInRootfs(p: string): string {
  for (const [link, target] of Object.entries(ROOTFS_DIR_LINKS)) {
    if (p === link || p.startsWith(`${link}/`)) return target + p.slice(link.length);
  }
  return p;
}

/** The comparable part of a view. */
const seen = (v: View): string => JSON.stringify({ outcome: v.outcome, exit: v.exit, probe: v.probe, hooks: v.hooks });

/**
 * runc's view becomes tsrun's where the rule names why (both refused, or a
 * case runc cannot run); false when it was so already.
 */
function adoptTsrun(runc: View, tsrun: View): boolean {
  const before = seen(runc);
  runc.outcome = tsrun.outcome;
  if (tsrun.exit === undefined) delete runc.exit;
  else runc.exit = tsrun.exit;
  if (tsrun.probe === undefined) delete runc.probe;
  else runc.probe = structuredClone(tsrun.probe);
  runc.hooks = structuredClone(tsrun.hooks);
  return seen(runc) !== before;
}

function hookLines(v: View): Record<string, unknown>[] {
  return [...v.hooks.host, ...v.hooks.container];
}

export const RULES: readonly Rule[] = [
  {
    name: 'foreground-stdio',
    reason: "a foreground `run` gives the container the caller's stdin, stdout and stderr; runc 1.1.5 creates pipes and copies",
    follows: "runc's detached create, crun's run",
    reconcile(_c, runc, tsrun) {
      const r = runc.probe?.fds as AnyObj[] | undefined;
      const t = tsrun.probe?.fds as AnyObj[] | undefined;
      if (!r || !t) return false;
      const stdio = (fds: AnyObj[]) => [0, 1, 2].map((n) => fds.find((f) => f.fd === n));
      const [r0, r1, r2] = stdio(r);
      const [t0, t1, t2] = stdio(t);
      // runc: pipes it made; tsrun: the harness's /dev/null and its stdout/stderr sockets
      const runcPipes = r0?.target === 'pipe' && r1?.target === 'pipe' && r2?.target === 'pipe';
      const callers = t0?.target === '/dev/null' && t1?.target === 'socket' && t2?.target === 'socket';
      if (!runcPipes || !callers) return false;
      runc.probe!.fds = [t0, t1, t2, ...r.filter((f) => f.fd > 2)];
      return true;
    },
  },
  {
    name: 'start-hooks-before-filter',
    reason: 'with no_new_privileges the seccomp filter is loaded last, right before execve, so startContainer hooks run before it; runc 1.1.5 loads it before waiting for start, and its hooks run under it',
    follows: 'tsrun (nothing but execve runs under the filter); runc loads it earlier',
    reconcile(config, runc, tsrun) {
      const nnp = ((config.process ?? {}) as AnyObj).noNewPrivileges === true;
      if (!nnp || !linuxOf(config).seccomp) return false;
      let changed = false;
      runc.hooks.container.forEach((h, i) => {
        const t = tsrun.hooks.container[i];
        if (h.hook === 'startContainer' && t?.hook === 'startContainer' && h.seccomp === 2 && t.seccomp === 0) {
          h.seccomp = 0;
          changed = true;
        }
      });
      return changed;
    },
  },
  {
    name: 'state-oci-version',
    reason: 'the state hooks get names the runtime-spec version the runtime implements: 1.3.0 for tsrun, 1.0.2-dev for runc 1.1.5',
    follows: 'runtime-spec 1.3.0',
    reconcile(_c, runc, tsrun) {
      let changed = false;
      const want = (tsrun.hooks.host[0]?.state as AnyObj | undefined)?.ociVersion ?? '1.3.0';
      for (const h of hookLines(runc)) {
        const st = h.state as AnyObj | undefined;
        if (st && st.ociVersion === '1.0.2-dev' && want === '1.3.0') {
          st.ociVersion = want;
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: 'poststart-at-start',
    reason: 'poststart hooks run when `start` has started the program, so they see status "running"; runc 1.1.5 runs them at the end of create, with "created"',
    follows: 'runc main (3cdda464f, "Move poststart hook from runc create to runc start")',
    reconcile(config, runc, tsrun) {
      // a failing poststart hook: runc 1.1.5 fails create before the program
      // starts; tsrun's start has started it, then kills it and fails
      const hasPoststart = (((config.hooks ?? {}) as AnyObj).poststart ?? []).length > 0;
      if (hasPoststart && runc.outcome === 'refused' && /error running hook/.test(runc.said) && tsrun.outcome === 'ran' && /poststart hook failed, killing container/.test(tsrun.said)) {
        return adoptTsrun(runc, tsrun);
      }
      // start failed (a startContainer hook): runc 1.1.5 ran poststart at create already
      if (hasPoststart && runc.outcome === 'refused' && tsrun.outcome === 'refused' && !tsrun.hooks.host.some((h) => h.hook === 'poststart')) {
        const before = runc.hooks.host.length;
        runc.hooks.host = runc.hooks.host.filter((h) => h.hook !== 'poststart');
        if (runc.hooks.host.length !== before) return true;
      }
      let changed = false;
      for (const h of runc.hooks.host) {
        const st = h.state as AnyObj | undefined;
        if (h.hook === 'poststart' && st?.status === 'created') {
          st.status = 'running';
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: 'domainname',
    reason: 'tsrun sets `domainname` (runc 1.1.5 ignores the field) and, like runc >= 1.2, refuses it without a UTS namespace of the container\'s own',
    follows: 'runc 1.2',
    reference(config) {
      if (config.domainname === undefined) return undefined;
      const c = clone(config);
      delete c.domainname;
      return c;
    },
    reconcile(config, runc, tsrun) {
      if (config.domainname === undefined) return false;
      const hasUts = ((linuxOf(config).namespaces ?? []) as AnyObj[]).some((n) => n.type === 'uts');
      if (!hasUts && config.domainname !== '') {
        if (tsrun.outcome === 'refused' && /domainname/.test(tsrun.said)) {
          return adoptTsrun(runc, tsrun);
        }
        return false;
      }
      const sysctl = (linuxOf(config).sysctl ?? {}) as Record<string, string>;
      const expected = sysctl['kernel.domainname'] ?? sysctl['kernel/domainname'] ?? (config.domainname === '' ? undefined : config.domainname);
      if (runc.probe && tsrun.probe && expected !== undefined && tsrun.probe.domainname === expected && runc.probe.domainname !== expected) {
        runc.probe.domainname = expected;
        return true;
      }
      return false;
    },
  },
  {
    name: 'time-namespace',
    reason: 'tsrun creates a time namespace (and writes linux.timeOffsets); runc 1.1.5 refuses the namespace type',
    follows: 'runc 1.2',
    reference(config) {
      const linux = linuxOf(config);
      if (!((linux.namespaces ?? []) as AnyObj[]).some((n) => n.type === 'time')) return undefined;
      const c = clone(config);
      c.linux.namespaces = c.linux.namespaces.filter((n: AnyObj) => n.type !== 'time');
      delete c.linux.timeOffsets;
      return c;
    },
    reconcile(config, runc, tsrun) {
      if (!ownNamespaces(config).includes('time') || !runc.probe || !tsrun.probe) return false;
      const r = runc.probe.ns as AnyObj;
      const t = tsrun.probe.ns as AnyObj;
      if (r.time === 'host' && r.time_for_children === 'host' && t.time === 'own' && t.time_for_children === 'own') {
        r.time = 'own';
        r.time_for_children = 'own';
        return true;
      }
      return false;
    },
  },
  {
    name: 'seccomp-flags',
    reason: 'tsrun passes linux.seccomp.flags to seccomp(2); runc 1.1.5 refuses any flag ("not yet supported")',
    follows: 'runc 1.2',
    reference(config) {
      const s = linuxOf(config).seccomp as AnyObj | undefined;
      if (!s?.flags?.length) return undefined;
      const c = clone(config);
      delete c.linux.seccomp.flags;
      return c;
    },
  },
  {
    name: 'rootfs-propagation-shared',
    reason: 'linux.rootfsPropagation "shared"/"rshared" is applied to the container\'s "/" after pivot_root, so "/" (and what is bound from it) is shared; runc 1.1.5 applies it before, and its root ends up private',
    follows: 'runc 1.4 (04be81b6a, "fix rootfs propagation mode")',
    reconcile(config, runc, tsrun) {
      const prop = linuxOf(config).rootfsPropagation;
      if (prop !== 'shared' && prop !== 'rshared') return false;
      const r = runc.probe?.mounts as AnyObj[] | undefined;
      const t = tsrun.probe?.mounts as AnyObj[] | undefined;
      if (!r || !t) return false;
      // the same mounts but for their propagation, and for the copies a
      // shared parent propagates to its peers (a mount under a read-only
      // path's bind shows up under the original too)
      const key = (m: AnyObj) => JSON.stringify({ ...m, propagation: undefined });
      const rk = new Set(r.map(key));
      const tk = new Set(t.map(key));
      if (rk.size !== tk.size || [...rk].some((k) => !tk.has(k))) return false;
      if (JSON.stringify(r) === JSON.stringify(t)) return false;
      runc.probe!.mounts = structuredClone(t);
      return true;
    },
  },
  {
    name: 'readonly-paths-recursive',
    reason: 'a read-only path is read-only with every mount below it; runc 1.1.5 remounts only its top mount read-only, so a mount under it stays writable',
    follows: 'tsrun (read-only means read-only); runc and crun remount only the top',
    reconcile(config, runc, tsrun) {
      // a path named through a symlink (/data/link) is bound where it resolves
      const ro = ((linuxOf(config).readonlyPaths ?? []) as string[]).map((p) => resolvedInRootfs(p.replace(/\/+$/, '')));
      const r = runc.probe?.mounts as AnyObj[] | undefined;
      const t = tsrun.probe?.mounts as AnyObj[] | undefined;
      if (!ro.length || !r || !t || r.length !== t.length) return false;
      let changed = false;
      for (let i = 0; i < r.length; i++) {
        const a = r[i]!;
        const b = t[i]!;
        const under = ro.some((p) => String(a.target).startsWith(`${p}/`));
        // propagation is rootfs-propagation-shared's to explain (each rule's shape alone would block the other)
        const rest = (m: AnyObj) => JSON.stringify({ ...m, opts: String(m.opts).replace(/^r[ow],/, ''), propagation: undefined });
        if (under && rest(a) === rest(b) && String(a.opts).startsWith('rw,') && String(b.opts).startsWith('ro,')) {
          a.opts = b.opts;
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: 'ro-tmpfs-under-a-stack',
    reason: 'a read-only tmpfs with another mount stacked on its destination becomes read-only itself; runc 1.1.5 remounts the destination path, which hits the top mount (and gives it the lower mount\'s flags)',
    follows: 'tsrun (the mount the config asks for); runc remounts by path',
    reconcile(config, runc, tsrun) {
      const mounts = (config.mounts ?? []) as AnyObj[];
      const stacked = new Set<string>();
      mounts.forEach((m, i) => {
        const ro = m.type === 'tmpfs' && (m.options ?? []).includes('ro');
        if (ro && mounts.slice(i + 1).some((o) => o.destination === m.destination)) stacked.add(String(m.destination));
      });
      const r = runc.probe?.mounts as AnyObj[] | undefined;
      const t = tsrun.probe?.mounts as AnyObj[] | undefined;
      if (!stacked.size || !r || !t) return false;
      // the stack at each such destination, matched in order; propagation is
      // another rule's business (rootfs-propagation-shared), which may also
      // add copies elsewhere, so the lists are not compared by position
      const rest = (m: AnyObj) => JSON.stringify({ ...m, opts: undefined, propagation: undefined });
      let changed = false;
      for (const dest of stacked) {
        const rs = r.filter((m) => m.target === dest);
        const ts = t.filter((m) => m.target === dest);
        if (rs.length !== ts.length || rs.some((m, i) => rest(m) !== rest(ts[i]!))) continue;
        rs.forEach((m, i) => {
          if (m.opts === ts[i]!.opts) return;
          m.opts = ts[i]!.opts;
          changed = true;
        });
      }
      return changed;
    },
  },
  {
    name: 'cgroup2-mount-own-cgroup',
    reason:
      "on cgroup v2 a container without a cgroup namespace of its own gets a private bind of its own cgroup at /sys/fs/cgroup; runc mounts the whole cgroup2 tree (read-only), the host's cgroups included, or, in a user namespace where the kernel refuses that mount, binds the container's cgroup keeping the host mount's propagation (a slave of a systemd host's shared /sys/fs/cgroup)",
    follows: 'tsrun (a container sees its own cgroup only, and no host mount event reaches it); runc 1.1.5 and later mount the whole tree',
    reconcile(config, runc, tsrun) {
      if (ownNamespaces(config).includes('cgroup')) return false;
      const r = runc.probe?.mounts as AnyObj[] | undefined;
      const t = tsrun.probe?.mounts as AnyObj[] | undefined;
      const own = ((tsrun.probe?.cgroup ?? []) as string[]).find((l) => l.startsWith('0::'))?.slice(3);
      if (!r || !t || !own) return false;
      const userns = ownNamespaces(config).includes('user');
      let changed = false;
      for (let i = 0; i < r.length && i < t.length; i++) {
        const a = r[i]!;
        const b = t[i]!;
        if (a.target !== '/sys/fs/cgroup' || b.target !== '/sys/fs/cgroup' || a.fstype !== 'cgroup2' || b.fstype !== 'cgroup2') continue;
        if (b.root !== own || a.opts !== b.opts || a.super !== b.super) continue;
        if (a.root === '/') {
          // runc's own cgroup2 mount (private, as tsrun's bind; an rshared
          // rootfs makes both shared later: rootfs-propagation-shared's part)
          a.root = b.root;
          a.source = b.source;
          changed = true;
        } else if (a.root === own && userns && b.propagation === 'private' && a.propagation !== 'private') {
          // runc's bind fallback in a user namespace: the host mount's propagation
          a.propagation = b.propagation;
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: 'cpu-idle',
    reason: 'linux.resources.cpu.idle is written (cpu.idle; the kernel then reports cpu.weight 0, and refuses a cpu.weight from cpu.shares, which fails create as in runc >= 1.2); runc 1.1.5 does not know the field',
    follows: 'runc 1.2',
    reference(config) {
      const cpu = ((linuxOf(config).resources ?? {}) as AnyObj).cpu as AnyObj | undefined;
      if (cpu?.idle === undefined) return undefined;
      const c = clone(config);
      delete c.linux.resources.cpu.idle;
      return c;
    },
    reconcile(config, runc, tsrun) {
      const cpu = ((linuxOf(config).resources ?? {}) as AnyObj).cpu as AnyObj | undefined;
      if (cpu?.idle === 1 && cpu.shares && tsrun.outcome === 'refused' && /cpu\.shares: cannot write \\"\d+\\" to \S+\/cpu\.weight: the kernel rejected the value: invalid argument/.test(tsrun.said)) {
        return adoptTsrun(runc, tsrun);
      }
      const r = runc.probe?.cgroupFiles as AnyObj | undefined;
      const t = tsrun.probe?.cgroupFiles as AnyObj | undefined;
      if (cpu?.idle !== 1 || !r || !t || t['cpu.idle'] !== '1' || r['cpu.idle'] !== '0') return false;
      r['cpu.idle'] = t['cpu.idle'];
      r['cpu.weight'] = t['cpu.weight'];
      return true;
    },
  },
  {
    name: 'pids-limit-zero',
    reason: 'linux.resources.pids.limit 0 is a limit (pids.max "1": the init is the one task it allows, so it cannot fork a createContainer or startContainer hook; systemd refuses 0); runc 1.1.5 takes 0 as unset ("max")',
    follows: 'runc 1.4 (opencontainers/cgroups)',
    reconcile(config, runc, tsrun) {
      const pids = ((linuxOf(config).resources ?? {}) as AnyObj).pids as AnyObj | undefined;
      // the init may not fork a createContainer or startContainer hook then
      if (pids?.limit === 0 && tsrun.outcome === 'refused' && /fork hook \S+: EWOULDBLOCK/.test(tsrun.said)) {
        return adoptTsrun(runc, tsrun);
      }
      const r = runc.probe?.cgroupFiles as AnyObj | undefined;
      const t = tsrun.probe?.cgroupFiles as AnyObj | undefined;
      if (pids?.limit !== 0 || !r || !t || r['pids.max'] !== 'max' || t['pids.max'] !== '1') return false;
      r['pids.max'] = t['pids.max'];
      return true;
    },
  },
  {
    name: 'cpu-weight-quadratic',
    reason: 'cpu.shares becomes cpu.weight by the quadratic-in-log2 fit (1024 -> 100, the cgroup v2 default); runc 1.1.5 uses the linear formula (1024 -> 39)',
    follows: 'runc 1.3.2 / 1.4 (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value)',
    reconcile(config, runc, tsrun) {
      const cpu = ((linuxOf(config).resources ?? {}) as AnyObj).cpu as AnyObj | undefined;
      const shares = cpu?.shares as number | undefined;
      const r = runc.probe?.cgroupFiles as AnyObj | undefined;
      const t = tsrun.probe?.cgroupFiles as AnyObj | undefined;
      if (!shares || !r || !t || r['cpu.weight'] === undefined || cpu?.idle === 1) return false;
      const linear = shares <= 2 ? 1 : shares >= 262144 ? 10000 : 1 + Math.floor(((shares - 2) * 9999) / 262142);
      const l = Math.log2(shares);
      const quadratic = shares <= 2 ? 1 : shares >= 262144 ? 10000 : Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34));
      if (r['cpu.weight'] !== String(linear) || t['cpu.weight'] !== String(quadratic) || linear === quadratic) return false;
      r['cpu.weight'] = t['cpu.weight'];
      return true;
    },
  },
  {
    name: 'sysfs-bind-fallback',
    reason: 'a sysfs mount the kernel refuses (a user namespace without a network namespace of its own) becomes a recursive bind of the host\'s /sys with the mount\'s flags; runc 1.1.5 fails',
    follows: 'crun (and runc\'s own rootless spec, which asks for that bind)',
    reference(config) {
      const own = ownNamespaces(config);
      const userns = ((linuxOf(config).namespaces ?? []) as AnyObj[]).some((n) => n.type === 'user');
      if (!userns || own.includes('network')) return undefined;
      const mounts = (config.mounts ?? []) as AnyObj[];
      if (!mounts.some((m) => m.type === 'sysfs')) return undefined;
      const c = clone(config);
      c.mounts = (c.mounts as AnyObj[]).map((m) =>
        m.type === 'sysfs'
          ? { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', ...((m.options ?? []) as string[]).filter((o) => ['ro', 'nosuid', 'nodev', 'noexec'].includes(o))] }
          : m,
      );
      return c;
    },
  },
  {
    name: 'runc-cgroup-mount-under-sys-bind',
    reason: "with the /sys bind of sysfs-bind-fallback and a cgroup v1 mount below it, in a user namespace, runc 1.1.5 does not find the container's cgroup under the bound /sys (\"stat /sys/fs/cgroup/<controller>/<path>: no such file or directory\"); tsrun mounts the hierarchies (and goes on: it runs the container, or fails where runc would have next, after the create hooks)",
    follows: 'tsrun (runc 1.1.5 fails)',
    reconcile(config, runc, tsrun) {
      const mounts = (config.mounts ?? []) as AnyObj[];
      const userns = ((linuxOf(config).namespaces ?? []) as AnyObj[]).some((n) => n.type === 'user');
      if (!userns || ownNamespaces(config).includes('network') || ownNamespaces(config).includes('cgroup')) return false;
      if (!mounts.some((m) => m.type === 'sysfs') || !mounts.some((m) => m.type === 'cgroup')) return false;
      // tsrun got past the mounts: it ran, or failed at a step runc 1.1.5
      // takes after them and after the prestart/createRuntime hooks too
      // (the cwd, the args[0] lookup), so runc would have run those hooks
      const later = tsrun.outcome === 'ran' || (tsrun.outcome === 'refused' && /level=error msg="(exec: |chdir to cwd )/.test(tsrun.said));
      if (runc.outcome !== 'refused' || !later) return false;
      if (!/error mounting \\"cgroup\\" to rootfs at \\"\/sys\/fs\/cgroup\\": stat \/sys\/fs\/cgroup\/[^ ]*: no such file or directory/.test(runc.said)) return false;
      return adoptTsrun(runc, tsrun);
    },
  },
  {
    name: 'runc-needs-after-filter',
    reason: "without no_new_privileges runc's init loads the profile before it calls getppid() (it gives up when that fails: runc is given the syscall, and the probe's own getppid() result is tsrun's) and checks args[0] with faccessat2 (denied, it falls back to mode bits that ignore the process's capabilities: an args[0] only a capability lets the user run is refused); tsrun needs neither under the filter",
    follows: 'tsrun (the lookup and the init never depend on what the profile allows)',
    reference(config) {
      // getppid is an old syscall: allowing it does not move the ENOSYS stub
      const missing = missingAfterFilter(config).filter((n) => n === 'getppid');
      if (!missing.length) return undefined;
      const c = clone(config);
      c.linux.seccomp.syscalls = [...(c.linux.seccomp.syscalls ?? []), { names: missing, action: 'SCMP_ACT_ALLOW' }];
      return c;
    },
    reconcile(config, runc, tsrun) {
      const missing = missingAfterFilter(config);
      // runc refused an args[0] the kernel lets this user (with these capabilities) run
      if (missing.includes('faccessat2') && runc.outcome === 'refused' && tsrun.outcome === 'ran' && /exec \S+: permission denied/.test(runc.said)) {
        return adoptTsrun(runc, tsrun);
      }
      const rs = runc.probe?.syscalls as AnyObj | undefined;
      const ts = tsrun.probe?.syscalls as AnyObj | undefined;
      if (!rs || !ts) return false;
      let changed = false;
      for (const name of missing.filter((n) => n === 'getppid')) {
        if (rs[name] !== 'ok' || ts[name] === 'ok') continue;
        rs[name] = ts[name];
        changed = true;
        // glibc's getppid() returns the filter's -errno as the ppid
        if (name === 'getppid' && typeof tsrun.probe!.ppid === 'number' && (tsrun.probe!.ppid as number) < 0) runc.probe!.ppid = tsrun.probe!.ppid;
      }
      return changed;
    },
  },
  {
    name: 'seccomp-stub-native-arch',
    reason: "the ENOSYS answer for syscalls newer than the profile also covers a profile without `architectures` (the native one is implied); runc 1.1.5 adds it only for the listed architectures",
    follows: 'runc 1.2 (ccc500c42, "seccomp: patchbpf: always include native architecture in stub")',
    reference(config) {
      const s = linuxOf(config).seccomp as AnyObj | undefined;
      if (!s || s.defaultAction === 'SCMP_ACT_ALLOW' || (s.architectures ?? []).includes(NATIVE_ARCH)) return undefined;
      const c = clone(config);
      c.linux.seccomp.architectures = [NATIVE_ARCH, ...(s.architectures ?? [])];
      return c;
    },
  },
  {
    name: 'validation-before-create',
    reason: 'a config error tsrun finds is reported before anything exists, so no hook runs; runc 1.1.5 finds some (rlimit types, rlimits above its own, ...) only once it has made the container, after the hooks due by then, and then runs the poststop hooks',
    follows: 'runtime-spec lifecycle (poststop hooks follow the deletion of a created container)',
    reconcile(_c, runc, tsrun) {
      if (runc.outcome !== 'refused' || tsrun.outcome !== 'refused' || !/level=error msg="config\.json: /.test(tsrun.said)) return false;
      if (runc.hooks.host.length + runc.hooks.container.length === 0) return false;
      if (tsrun.hooks.host.length > 0 || tsrun.hooks.container.length > 0) return false;
      runc.hooks = { host: [], container: [] };
      return true;
    },
  },
  {
    name: 'poststop-hooks-continue',
    reason: 'a poststop hook that fails (here: runs past its timeout) is a warning, and the poststop hooks after it still run; runc 1.1.5 stops at the first failing one',
    follows: 'runtime-spec lifecycle (a failing poststop hook: warn, "the remaining hooks and lifecycle continue as if the hook had succeeded")',
    reconcile(config, runc, tsrun) {
      const poststop = (((config.hooks ?? {}) as AnyObj).poststop ?? []) as AnyObj[];
      const first = poststop.findIndex(outlastsTimeout);
      const after = poststop.slice(first + 1).filter((h) => !outlastsTimeout(h)).length;
      if (first < 0 || after === 0) return false;
      if (!/error running hook #\d+: hook ran past specified timeout/.test(runc.said)) return false;
      const isPoststop = (l: Record<string, unknown>) => l.hook === 'poststop';
      const others = (v: View) => JSON.stringify(v.hooks.host.filter((l) => !isPoststop(l)));
      if (others(runc) !== others(tsrun)) return false;
      // runc: the hooks before the failing one; tsrun: those and the ones after it
      const rp = runc.hooks.host.filter(isPoststop);
      const tp = tsrun.hooks.host.filter(isPoststop);
      if (rp.length !== first || tp.length !== first + after || JSON.stringify(rp) !== JSON.stringify(tp.slice(0, first))) return false;
      runc.hooks.host = structuredClone(tsrun.hooks.host);
      return true;
    },
  },
  {
    name: 'relative-hook-path',
    reason: "a hook path must be absolute (runtime-spec: MUST); runc 1.1.5 executes a relative one from its own working directory, which depends on the caller",
    follows: 'runtime-spec config.md (hooks: path MUST be absolute)',
    reconcile(config, runc, tsrun) {
      const hooks = (config.hooks ?? {}) as Record<string, AnyObj[]>;
      const relative = HOOK_KINDS.some((k) => (hooks[k] ?? []).some((h) => !String(h.path).startsWith('/')));
      if (!relative || tsrun.outcome !== 'refused' || !/hooks\.\w+\[\d+\]\.path: must be an absolute path/.test(tsrun.said)) return false;
      return adoptTsrun(runc, tsrun);
    },
  },
  {
    name: 'duplicate-rlimits',
    reason: 'two process.rlimits entries of one type are an error (runtime-spec: MUST); runc 1.1.5 applies both, the last winning',
    follows: 'runtime-spec config.md (rlimits: duplicated type MUST be an error)',
    reconcile(config, runc, tsrun) {
      const types = (((config.process ?? {}) as AnyObj).rlimits ?? []).map((r: AnyObj) => r.type) as string[];
      if (new Set(types).size === types.length || tsrun.outcome !== 'refused' || !/duplicate RLIMIT_/.test(tsrun.said)) return false;
      return adoptTsrun(runc, tsrun);
    },
  },
  {
    name: 'host-capabilities',
    reason: 'capabilities the host cannot grant (outside the caller\'s bounding set) are left out with a warning (runtime-spec: SHOULD NOT fail); runc 1.1.5 fails ("unable to apply caps")',
    follows: 'runtime-spec config.md (capabilities)',
    reference(config, host) {
      const caps = ((config.process ?? {}) as AnyObj).capabilities as Record<string, string[]> | undefined;
      if (!caps) return undefined;
      const grantable = (n: string) => {
        const bit = (CAPABILITIES as readonly string[]).indexOf(n);
        return bit < 0 || ((host.boundingSet >> BigInt(bit)) & 1n) === 1n;
      };
      if (Object.values(caps).every((set) => (set ?? []).every(grantable))) return undefined;
      const c = clone(config);
      for (const k of Object.keys(c.process.capabilities)) c.process.capabilities[k] = (c.process.capabilities[k] as string[]).filter(grantable);
      return c;
    },
  },
];

export interface PreparedCase {
  reference: Spec;
  /** rules used to make the reference config */
  referenceRules: string[];
  reconcile(runc: View, tsrun: View): string[];
}

export function applyRules(rules: readonly Rule[], c: DiffCase, host: RuleHost): PreparedCase {
  let reference = c.config;
  const used: string[] = [];
  for (const r of rules) {
    const next = r.reference?.(reference, host);
    if (next !== undefined) {
      reference = next;
      used.push(r.name);
    }
  }
  return {
    reference,
    referenceRules: used,
    reconcile(runc, tsrun) {
      const names = [...used];
      // until nothing changes: one rule's edit can complete another's shape
      for (let pass = 0; pass < 4; pass++) {
        let changed = false;
        for (const r of rules) {
          if (!r.reconcile?.(c.config, runc, tsrun)) continue;
          changed = true;
          if (!names.includes(r.name)) names.push(r.name);
        }
        if (!changed) break;
      }
      return names;
    },
  };
}
