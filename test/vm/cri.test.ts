// tsrun behind containerd's CRI plugin, driven as the kubelet drives it: a
// private containerd (Debian's 1.6; its own root, state and sockets in a temp
// dir) whose CRI runtime "runc" is io.containerd.runc.v2 with BinaryName =
// bin/tsrun and SystemdCgroup = true; a CNI bridge network with host-local
// addresses inside the VM (go-cni adds the loopback network itself); a pause
// image built here (test/integration/helpers/pause.c, static) and a busybox
// image, imported with ctr into containerd's k8s.io namespace; and a gRPC
// client of the CRI (runtime.v1, test/vm/cri-api.proto).
//
// One BestEffort pod through its life, one call per step: RunPodSandbox,
// CreateContainer and StartContainer (an app and a sidecar), ExecSync,
// ContainerStatus, the CRI log file, StopContainer, StopPodSandbox and
// RemovePodSandbox. The test plays the kubelet's part around them: it starts
// the QoS and pod slices (kubepods.slice, kubepods-besteffort.slice,
// kubepods-besteffort-pod<uid>.slice), gives the pod's cgroup_parent as the
// kubelet's systemd driver names it, makes the log directories, and stops the
// pod slice at the end. Every wait polls the CRI or the kernel with a
// generous deadline (the VM is emulated).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, PROJECT_ROOT, readMaybe, tsrun, waitFor } from '../helpers';
import { buildStaticHelpers } from '../integration/helpers/cbuild';
import { buildBusyboxImage, buildImageArchive, ensureContainerd, IMAGE_REF, mountsUnder, startContainerd, type PrivateContainerd } from '../integration/helpers/containerd';
import { CriError, criClient, type ContainerStatusResponse, type CriClient } from './cri-client';
import { inVm, read, unitProps } from './helpers';

const runnable = inVm && process.getuid?.() === 0;
/** deadline of one CRI call and of each wait for a state (node and fork+exec are slow under emulation) */
const SLOW = 240_000;
const TSRUN = path.join(PROJECT_ROOT, 'bin', 'tsrun');
const CNI_BIN = '/usr/lib/cni';
/** the CRI plugin's containerd namespace (fixed in containerd 1.6) */
const K8S_NAMESPACE = 'k8s.io';
const PAUSE_REF = 'registry.tsrun.test/pause:1';

// this test process's names: the CNI network, its bridge (15 characters at
// most), the pod's uid and the kubelet's slices for a BestEffort pod
const tag = process.pid.toString(36);
const NET_NAME = `tsrun-cri-${tag}`;
const BRIDGE = `tsrcri${tag}`;
const SUBNET_PREFIX = '10.213.0.';
const podUid = crypto.randomUUID();
const QOS_SLICES = ['kubepods.slice', 'kubepods-besteffort.slice'];
// the kubelet's systemd driver: "-" in a name part becomes "_", parts joined by "-"
const POD_SLICE = `kubepods-besteffort-pod${podUid.replace(/-/g, '_')}.slice`;
const CGROUP_PARENT = `/kubepods.slice/kubepods-besteffort.slice/${POD_SLICE}`;
const HOSTNAME = 'tsrun-cri-pod';

/** what containerd's CRI makes of the cgroup_parent with SystemdCgroup: "<pod slice>:cri-containerd:<id>" */
const scopeOf = (id: string) => `cri-containerd-${id}.scope`;
const cgroupDirOf = (id: string) => `/sys/fs/cgroup${CGROUP_PARENT}/${scopeOf(id)}`;

const apparmorOn = readMaybe('/sys/module/apparmor/parameters/enabled')?.trim() === 'Y';

/** The app: says hello on both streams, then waits; SIGTERM makes it say so and exit 7. */
const APP_SCRIPT = ['trap \'echo "got SIGTERM"; exit 7\' TERM', 'echo "$GREETING on stdout"', 'echo "hello on stderr" >&2', 'sleep 3600 & wait'].join('; ');

/** The unit is gone: systemd has neither it loaded nor a failed record of it. */
function unitGone(unit: string): boolean {
  const { LoadState, ActiveState } = unitProps(unit, ['LoadState', 'ActiveState']);
  const listed = execFileSync('systemctl', ['list-units', '--all', '--plain', '--no-legend', unit], { encoding: 'utf8' }).trim();
  return LoadState === 'not-found' && ActiveState === 'inactive' && listed === '';
}

/** The interfaces enslaved to this test's bridge (the host ends of the pods' veths). */
function bridgePorts(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show', 'master', BRIDGE], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!);
}

const nsOf = (pid: number, ns: string) => fs.readlinkSync(`/proc/${pid}/ns/${ns}`);

interface RuntimeInfo {
  pid: number;
  runtimeSpec: {
    process: { oomScoreAdj?: number; apparmorProfile?: string };
    linux: {
      cgroupsPath: string;
      namespaces: Array<{ type: string; path?: string }>;
      resources?: { cpu?: Record<string, unknown> };
      seccomp?: { defaultAction: string };
    };
  };
}

describe.skipIf(!runnable)('containerd CRI with tsrun as the runtime (SystemdCgroup = true), as the kubelet drives it', () => {
  let cd: PrivateContainerd | undefined;
  let cri: CriClient;
  /** the shim's --root for tsrun: <Root option>/<containerd namespace> */
  let runtimeRoot: string;
  let ipamDir: string;
  let logDir: string;
  let startedSlices: string[] = [];
  let busyboxId: string;

  let sandboxId: string | undefined;
  let sandboxPid: number;
  let netnsPath: string;
  let podIp: string;
  let appId: string;
  let appPid: number;
  let sidecarId: string;
  let sidecarPid: number;
  let failed = false;
  /** every sandbox and container id the CRI gave this test */
  const containerIds = new Set<string>();

  const podConfig = () => ({
    metadata: { name: 'web', uid: podUid, namespace: 'tsrun-test', attempt: 0 },
    hostname: HOSTNAME,
    log_directory: logDir,
    labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'tsrun-test', 'io.kubernetes.pod.uid': podUid },
    linux: {
      cgroup_parent: CGROUP_PARENT,
      security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, seccomp: { profile_type: 'RuntimeDefault' } },
    },
  });

  /** A container as the kubelet describes one of a BestEffort pod: CPU shares 2, oom_score_adj 1000, the CFS period, RuntimeDefault seccomp. */
  const containerConfig = (name: string, command: string[], envs: Array<{ key: string; value: string }> = []) => ({
    metadata: { name, attempt: 0 },
    image: { image: IMAGE_REF },
    command,
    envs,
    labels: { 'io.kubernetes.container.name': name, 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'tsrun-test', 'io.kubernetes.pod.uid': podUid },
    log_path: `${name}/0.log`,
    linux: {
      resources: { cpu_period: 100_000, cpu_shares: 2, oom_score_adj: 1000 },
      security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, seccomp: { profile_type: 'RuntimeDefault' } },
    },
  });

  const containerStatus = async (id: string): Promise<NonNullable<ContainerStatusResponse['status']> & { info?: RuntimeInfo }> => {
    const r = await cri.runtime('ContainerStatus', { container_id: id, verbose: true });
    return { ...r.status!, info: r.info.info ? (JSON.parse(r.info.info) as RuntimeInfo) : undefined };
  };
  const waitContainer = (id: string, state: string) =>
    waitFor(`container ${id} ${state}`, async () => {
      const s = await containerStatus(id);
      return s.state === state && s;
    }, SLOW, 250);

  /** tsrun's own view of a container in the shim's runtime root. */
  const tsrunState = async (id: string) => {
    const r = await tsrun(['--root', runtimeRoot, 'state', id], { timeout: SLOW });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { id: string; pid: number; status: string };
  };

  /** Placed like the kubelet expects: tsrun's scope with Delegate=yes in the pod slice, the pid in its cgroup. */
  const expectScope = (id: string, pid: number) => {
    const unit = scopeOf(id);
    expect(read(`/proc/${pid}/cgroup`)).toBe(`0::${CGROUP_PARENT}/${unit}\n`);
    expect(unitProps(unit, ['Id', 'Description', 'ActiveState', 'Delegate', 'Slice', 'ControlGroup'])).toEqual({
      Id: unit,
      Description: `tsrun container ${id}`,
      ActiveState: 'active',
      Delegate: 'yes',
      Slice: POD_SLICE,
      ControlGroup: `${CGROUP_PARENT}/${unit}`,
    });
  };

  /** The container is gone from the runtime: no tsrun state, no scope, no cgroup. */
  const waitRuntimeGone = (id: string) =>
    waitFor(`${id}: no tsrun state, no scope`, () => !fs.existsSync(path.join(runtimeRoot, id)) && unitGone(scopeOf(id)) && !fs.existsSync(cgroupDirOf(id)), SLOW, 250);

  /** The CRI log lines of a container: [stream, tag, text], each with a valid RFC 3339 timestamp. */
  const logLines = (name: string): Array<[string, string, string]> => {
    const text = readMaybe(path.join(logDir, name, '0.log')) ?? '';
    // whole lines only: the writer may be in the middle of one
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const m = /^(\S+) (stdout|stderr) (F|P) (.*)$/.exec(line);
        expect(m, `a CRI log line: ${JSON.stringify(line)}`).not.toBeNull();
        expect(Number.isNaN(Date.parse(m![1]!)), m![1]).toBe(false);
        return [m![2]!, m![3]!, m![4]!];
      });
  };

  /** host-local's reservations: a file per leased address in its data dir. */
  const leasedAddresses = () => (fs.existsSync(path.join(ipamDir, NET_NAME)) ? fs.readdirSync(path.join(ipamDir, NET_NAME)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : []);

  beforeAll(async () => {
    expect(ensureContainerd()).toEqual({ ok: true });
    for (const plugin of ['bridge', 'host-local', 'loopback']) expect(fs.existsSync(path.join(CNI_BIN, plugin)), `${CNI_BIN}/${plugin} (containernetworking-plugins)`).toBe(true);

    cd = await startContainerd(K8S_NAMESPACE, {
      criConfig: (dir) => {
        ipamDir = path.join(dir, 'ipam');
        fs.mkdirSync(path.join(dir, 'cni'));
        fs.writeFileSync(
          path.join(dir, 'cni', '10-tsrun.conflist'),
          JSON.stringify({
            cniVersion: '1.0.0',
            name: NET_NAME,
            plugins: [
              {
                type: 'bridge',
                bridge: BRIDGE,
                // no gateway address, no masquerading: nothing beyond the bridge itself changes in the VM
                isGateway: false,
                ipMasq: false,
                ipam: { type: 'host-local', ranges: [[{ subnet: `${SUBNET_PREFIX}0/24` }]], dataDir: ipamDir },
              },
            ],
          }),
        );
        const cri = 'plugins."io.containerd.grpc.v1.cri"';
        return [
          `[${cri}]`,
          `  sandbox_image = "${PAUSE_REF}"`,
          // the pods' network namespaces under this daemon's state dir, not /var/run/netns
          '  netns_mounts_under_state_dir = true',
          '  stream_server_address = "127.0.0.1"',
          '  stream_server_port = "0"',
          `[${cri}.containerd]`,
          '  snapshotter = "overlayfs"',
          '  default_runtime_name = "runc"',
          `[${cri}.containerd.runtimes.runc]`,
          '  runtime_type = "io.containerd.runc.v2"',
          `[${cri}.containerd.runtimes.runc.options]`,
          `  BinaryName = "${TSRUN}"`,
          `  Root = "${dir}/runc"`,
          '  SystemdCgroup = true',
          `[${cri}.cni]`,
          `  bin_dir = "${CNI_BIN}"`,
          `  conf_dir = "${dir}/cni"`,
          '  max_conf_num = 1',
        ].join('\n');
      },
    });
    runtimeRoot = path.join(cd.dir, 'runc', K8S_NAMESPACE);
    logDir = path.join(cd.dir, 'pods', `tsrun-test_web_${podUid}`);

    // the images: a pause image of one static binary, and busybox
    const helpers = buildStaticHelpers(['pause']);
    const pauseRootfs = path.join(cd.dir, 'pause-rootfs');
    fs.mkdirSync(pauseRootfs);
    fs.copyFileSync(helpers.path('pause'), path.join(pauseRootfs, 'pause'));
    fs.chmodSync(path.join(pauseRootfs, 'pause'), 0o755);
    helpers.cleanup();
    const archives = [buildImageArchive(cd.dir, 'pause.tar', { ref: PAUSE_REF, rootfs: pauseRootfs, config: { Entrypoint: ['/pause'] } }), buildBusyboxImage(cd.dir)];
    fs.rmSync(pauseRootfs, { recursive: true });
    for (const archive of archives) {
      const imp = await cd.ctr(['images', 'import', archive], { timeoutMs: SLOW });
      expect(imp.code, imp.stderr).toBe(0);
      fs.rmSync(archive);
    }

    cri = criClient(cd.socket, SLOW);
    // the CRI plugin sees an imported image once it has handled the import's event
    for (const image of [PAUSE_REF, IMAGE_REF]) {
      await waitFor(`the CRI's ImageStatus of ${image}`, async () => (await cri.image('ImageStatus', { image: { image } })).image, SLOW, 250);
    }
    busyboxId = (await cri.image('ImageStatus', { image: { image: IMAGE_REF } })).image!.id;

    // the kubelet's part: the QoS slices and the pod's slice exist before the
    // pod's sandbox does (a slice without a unit file gets systemd's defaults)
    for (const slice of [...QOS_SLICES, POD_SLICE]) {
      if (unitProps(slice, ['ActiveState']).ActiveState === 'active') continue;
      execFileSync('systemctl', ['start', slice]);
      startedSlices.push(slice);
    }
    fs.mkdirSync(path.join(logDir, 'app'), { recursive: true });
    fs.mkdirSync(path.join(logDir, 'sidecar'), { recursive: true });
  }, 300_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (!cd) return;
    // what containerd saw (its CRI plugin logs each call and each failed event)
    if (failed) console.warn(`containerd's log, the end:\n${cd.log().slice(-12_000)}`);
    // what a failed step left: the pod, as the kubelet would remove it
    if (sandboxId) {
      for (const call of ['StopPodSandbox', 'RemovePodSandbox'] as const) {
        await cri.runtime(call, { pod_sandbox_id: sandboxId }).catch((e: unknown) => console.warn(`cleanup: ${String(e)}`));
      }
    }
    cri?.close();
    const shimsLeft = cd.shimPids();
    await cd.stop();
    // the kubelet removes the pod's slice once the pod is gone; the QoS slices only if this test started them
    for (const slice of [...startedSlices].reverse()) execFileSync('systemctl', ['stop', slice]);
    // the bridge is the test's to remove: the bridge plugin leaves it, as on a node
    if (fs.existsSync(`/sys/class/net/${BRIDGE}`)) execFileSync('ip', ['link', 'del', BRIDGE]);
    const units = [...containerIds].map(scopeOf).concat(POD_SLICE);
    const unitsLeft = execFileSync('systemctl', ['list-units', '--all', '--plain', '--no-legend', ...units], { encoding: 'utf8' }).trim();
    expect({
      shims: shimsLeft,
      units: unitsLeft,
      podCgroup: fs.existsSync(`/sys/fs/cgroup${CGROUP_PARENT}`),
      bridge: fs.existsSync(`/sys/class/net/${BRIDGE}`),
      dir: fs.existsSync(cd.dir),
    }).toEqual({ shims: [], units: '', podCgroup: false, bridge: false, dir: false });
  }, 300_000);

  it('Version and Status: runtime.v1 served by containerd, the runtime and the CNI network ready', async () => {
    const v = await cri.runtime('Version', { version: 'v1' });
    expect({ name: v.runtime_name, api: v.runtime_api_version }).toEqual({ name: 'containerd', api: 'v1' });
    // NetworkReady once the CRI plugin has loaded the conflist
    const conditions = await waitFor(
      'RuntimeReady and NetworkReady',
      async () => {
        const c = (await cri.runtime('Status', {})).status?.conditions ?? [];
        return c.length >= 2 && c.every((x) => x.status) && c;
      },
      SLOW,
      250,
    );
    expect(Object.fromEntries(conditions.map((c) => [c.type, c.status]))).toEqual({ RuntimeReady: true, NetworkReady: true });
  });

  it('RunPodSandbox: the pause container runs under tsrun in cri-containerd-<id>.scope (Delegate=yes) in the pod slice, in the pod network', async () => {
    sandboxId = (await cri.runtime('RunPodSandbox', { config: podConfig(), runtime_handler: '' })).pod_sandbox_id;
    containerIds.add(sandboxId);
    expect(sandboxId).toMatch(/^[0-9a-f]{64}$/);
    const st = await cri.runtime('PodSandboxStatus', { pod_sandbox_id: sandboxId, verbose: true });
    expect({ state: st.status!.state, name: st.status!.metadata!.name, uid: st.status!.metadata!.uid }).toEqual({ state: 'SANDBOX_READY', name: 'web', uid: podUid });
    podIp = st.status!.network!.ip;
    expect(podIp.startsWith(SUBNET_PREFIX)).toBe(true);
    expect(leasedAddresses()).toEqual([podIp]);

    const info = JSON.parse(st.info.info!) as RuntimeInfo;
    sandboxPid = info.pid;
    // what containerd handed tsrun, and where tsrun put the pause
    expect(info.runtimeSpec.linux.cgroupsPath).toBe(`${POD_SLICE}:cri-containerd:${sandboxId}`);
    expectScope(sandboxId, sandboxPid);
    expect(await tsrunState(sandboxId)).toMatchObject({ id: sandboxId, pid: sandboxPid, status: 'running' });
    expect(read(`/proc/${sandboxPid}/cmdline`)).toBe('/pause\0');

    // the pod's network namespace: containerd's mount of it, the pause inside, one port on the bridge
    netnsPath = info.runtimeSpec.linux.namespaces.find((n) => n.type === 'network')!.path!;
    expect(netnsPath.startsWith(`${cd!.state}/`)).toBe(true);
    expect(fs.statSync(netnsPath).ino).toBe(fs.statSync(`/proc/${sandboxPid}/ns/net`).ino);
    expect(bridgePorts()).toHaveLength(1);
  });

  it('CreateContainer and StartContainer: an app and a sidecar, each in its own tsrun scope in the pod slice, sharing the pod\'s network, IPC and UTS namespaces', async () => {
    const create = async (name: string, command: string[], envs?: Array<{ key: string; value: string }>) =>
    {
      const id = (await cri.runtime('CreateContainer', { pod_sandbox_id: sandboxId!, config: containerConfig(name, command, envs), sandbox_config: podConfig() })).container_id;
      containerIds.add(id);
      return id;
    };
    appId = await create('app', ['sh', '-c', APP_SCRIPT], [{ key: 'GREETING', value: 'hello-from-cri' }]);
    sidecarId = await create('sidecar', ['sleep', '3600']);
    // (containerd 1.6 asks the runtime for the task only at StartContainer)
    expect((await containerStatus(appId)).state).toBe('CONTAINER_CREATED');

    for (const id of [appId, sidecarId]) await cri.runtime('StartContainer', { container_id: id });
    const app = await waitContainer(appId, 'CONTAINER_RUNNING');
    appPid = app.info!.pid;
    sidecarPid = (await waitContainer(sidecarId, 'CONTAINER_RUNNING')).info!.pid;
    expect({ name: app.metadata!.name, image: app.image!.image, imageRef: app.image_ref, logPath: app.log_path }).toEqual({
      name: 'app',
      image: IMAGE_REF,
      imageRef: busyboxId,
      logPath: path.join(logDir, 'app', '0.log'),
    });
    expect(BigInt(app.started_at)).toBeGreaterThanOrEqual(BigInt(app.created_at));
    expect(app.info!.runtimeSpec.linux.cgroupsPath).toBe(`${POD_SLICE}:cri-containerd:${appId}`);

    for (const [id, pid] of [
      [appId, appPid],
      [sidecarId, sidecarPid],
    ] as const) {
      expectScope(id, pid);
      expect(await tsrunState(id)).toMatchObject({ id, pid, status: 'running' });
      // the pod's namespaces (network, IPC, UTS: the pause's), a PID namespace of its own
      expect(['net', 'ipc', 'uts', 'pid'].map((ns) => nsOf(pid, ns) === nsOf(sandboxPid, ns))).toEqual([true, true, true, false]);
    }

    // a BestEffort container as the kubelet asks for it, applied by tsrun: the
    // shares as systemd's CPUWeight (and cpu.weight), the CFS period, the OOM
    // score, containerd's default seccomp profile and AppArmor profile (when
    // the VM's kernel has AppArmor on)
    const spec = app.info!.runtimeSpec;
    const cg = (file: string) => read(path.join(cgroupDirOf(appId), file)).trim();
    expect({
      // what containerd handed tsrun
      specCpu: spec.linux.resources?.cpu,
      specOomScoreAdj: spec.process.oomScoreAdj,
      specSeccomp: spec.linux.seccomp?.defaultAction,
      specAppArmor: spec.process.apparmorProfile,
      // what tsrun made of it
      unitCPUWeight: unitProps(scopeOf(appId), ['CPUWeight']).CPUWeight,
      cpuWeight: cg('cpu.weight'),
      cpuMax: cg('cpu.max'),
      oomScoreAdj: read(`/proc/${appPid}/oom_score_adj`).trim(),
      seccompMode: /^Seccomp:\s+(\d)$/m.exec(read(`/proc/${appPid}/status`))?.[1],
      appArmor: readMaybe(`/proc/${appPid}/attr/apparmor/current`)?.replace(/\0/g, '').trim(),
    }).toEqual({
      specCpu: { shares: 2, period: 100_000 },
      specOomScoreAdj: 1000,
      specSeccomp: 'SCMP_ACT_ERRNO',
      specAppArmor: apparmorOn ? 'cri-containerd.apparmor.d' : undefined,
      unitCPUWeight: '1',
      cpuWeight: '1',
      cpuMax: 'max 100000',
      oomScoreAdj: '1000',
      seccompMode: '2',
      appArmor: apparmorOn ? 'cri-containerd.apparmor.d (enforce)' : undefined,
    });
  });

  it('ExecSync: stdout, stderr and the exit code of a command in the running container, which sees the pod\'s hostname, address and its own cgroup', async () => {
    const r = await cri.runtime('ExecSync', {
      container_id: appId,
      cmd: ['sh', '-c', 'echo "exec sees $GREETING"; hostname; cat /proc/self/cgroup; ip -4 -o addr show dev eth0; echo "to stderr" >&2; exit 3'],
      timeout: 120,
    });
    expect({ code: r.exit_code, stderr: r.stderr.toString() }).toEqual({ code: 3, stderr: 'to stderr\n' });
    const [greeting, hostname, cgroupLine, addr] = r.stdout.toString().trim().split('\n');
    // with a cgroup namespace of its own (containerd adds one on cgroup v2) the container sees its cgroup as "/"
    const spec = (await containerStatus(appId)).info!.runtimeSpec;
    const ownCgroupNs = spec.linux.namespaces.some((n) => n.type === 'cgroup' && !n.path);
    expect({ greeting, hostname, cgroupLine }).toEqual({
      greeting: 'exec sees hello-from-cri',
      hostname: HOSTNAME,
      cgroupLine: ownCgroupNs ? '0::/' : `0::${CGROUP_PARENT}/${scopeOf(appId)}`,
    });
    expect(addr).toContain(` inet ${podIp}/24 `);
  });

  it('ExecSync with a timeout (a probe that hangs): an error for the caller, the exec\'d process killed, the container still running', async () => {
    const err = await cri.runtime('ExecSync', { container_id: appId, cmd: ['sleep', '600'], timeout: 5 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CriError);
    expect((err as CriError).details).toMatch(/timeout|deadline/i);
    const execSleeps = () =>
      read(path.join(cgroupDirOf(appId), 'cgroup.procs'))
        .split('\n')
        .filter(Boolean)
        .filter((pid) => readMaybe(`/proc/${pid}/cmdline`) === 'sleep\x00600\x00');
    await waitFor('the timed-out exec killed', () => execSleeps().length === 0, SLOW, 250);
    expect((await containerStatus(appId)).state).toBe('CONTAINER_RUNNING');
  });

  it('the container log: stdout and stderr lines in the CRI format (timestamp, stream, F) in the kubelet\'s log path', async () => {
    await waitFor('both hello lines in the log', () => logLines('app').length >= 2, SLOW, 250);
    expect(logLines('app').sort()).toEqual([
      ['stderr', 'F', 'hello on stderr'],
      ['stdout', 'F', 'hello-from-cri on stdout'],
    ]);
  });

  it('StopContainer: SIGTERM reaches the app, which exits 7; ContainerStatus says EXITED with that code; tsrun deleted it and its scope', async () => {
    await cri.runtime('StopContainer', { container_id: appId, timeout: 60 });
    const app = await waitContainer(appId, 'CONTAINER_EXITED');
    expect({ code: app.exit_code, reason: app.reason }).toEqual({ code: 7, reason: 'Error' });
    expect(BigInt(app.finished_at)).toBeGreaterThanOrEqual(BigInt(app.started_at));
    await waitFor('the app\'s last words in the log', () => logLines('app').some(([, , text]) => text === 'got SIGTERM'), SLOW, 250);
    expect(isAlive(appPid)).toBe(false);
    await waitRuntimeGone(appId);
    // the rest of the pod runs on
    expect((await containerStatus(sidecarId)).state).toBe('CONTAINER_RUNNING');
  });

  it('StopPodSandbox: the sidecar is killed (137), the pause stopped, both deleted by tsrun; the network is torn down', async () => {
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: sandboxId! });
    expect((await cri.runtime('PodSandboxStatus', { pod_sandbox_id: sandboxId! })).status!.state).toBe('SANDBOX_NOTREADY');
    const sidecar = await waitContainer(sidecarId, 'CONTAINER_EXITED');
    expect({ code: sidecar.exit_code, reason: sidecar.reason }).toEqual({ code: 137, reason: 'Error' });
    for (const pid of [sandboxPid, sidecarPid]) expect(isAlive(pid)).toBe(false);
    await waitRuntimeGone(sidecarId);
    await waitRuntimeGone(sandboxId!);
    // CNI DEL ran: the address is back with host-local, the veth and the namespace are gone
    expect({ leased: leasedAddresses(), ports: bridgePorts(), netns: fs.existsSync(netnsPath) }).toEqual({ leased: [], ports: [], netns: false });
  });

  it('RemovePodSandbox: the pod and its containers are gone from the CRI, the runtime root, systemd, the mount table and the CNI cache; the kubelet\'s pod slice stays', async () => {
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: sandboxId! });
    const notFound = async (p: Promise<unknown>) =>
      p.then(
        () => 'found',
        (e: unknown) => (e instanceof CriError ? e.code : String(e)),
      );
    expect(await notFound(cri.runtime('PodSandboxStatus', { pod_sandbox_id: sandboxId! }))).toBe(5); // NOT_FOUND
    expect(await notFound(cri.runtime('ContainerStatus', { container_id: appId }))).toBe(5);
    expect((await cri.runtime('ListPodSandbox', { filter: { id: sandboxId } })).items).toEqual([]);
    expect((await cri.runtime('ListContainers', { filter: { pod_sandbox_id: sandboxId } })).containers).toEqual([]);

    const cni = '/var/lib/cni/results';
    const cniCached = fs.existsSync(cni) ? fs.readdirSync(cni).filter((f) => f.includes(sandboxId!) || f.startsWith(`${NET_NAME}-`)) : [];
    const listed = await tsrun(['--root', runtimeRoot, 'list', '--quiet'], { timeout: SLOW });
    expect({
      tsrunContainers: listed.code === 0 ? listed.stdout.split('\n').filter(Boolean) : listed.stderr,
      scopes: [sandboxId!, appId, sidecarId].filter((id) => !unitGone(scopeOf(id))),
      mounts: mountsUnder(cd!.dir),
      cniCached,
      podCgroupChildren: fs.readdirSync(`/sys/fs/cgroup${CGROUP_PARENT}`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name),
    }).toEqual({ tsrunContainers: [], scopes: [], mounts: [], cniCached: [], podCgroupChildren: [] });
    // the pod's shim exits once its last task is gone
    await waitFor('the pod\'s shim to exit', () => cd!.shimPids().length === 0, SLOW, 250);
    // tsrun stops only the slices it started: the pod slice is the kubelet's
    expect(unitProps(POD_SLICE, ['ActiveState'])).toEqual({ ActiveState: 'active' });
    sandboxId = undefined;
  });
});
