// `tsrun container …` and `tsrun volume …`: images run with Docker's habits on
// top of the runc-compatible core. Each container is an ordinary tsrun
// container (its runtime state under --root, seen by `tsrun list`), whose
// bundle, upper and work dirs live under the image root (records.ts). Loaded
// only by these commands; the image store through a dynamic import.
import type * as ChildProcess from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerNotFoundError, DamagedStateError, TsrunError, UsageError } from '../../errors';
import { nativeExecutable } from '../../native';
import { defaultSeccompProfile } from '../../seccomp/default-profile';
import { OVERLAY_ANNOTATION, MAX_OVERLAY_LAYERS, type OverlaySpec } from '../../rootfs/overlay';
import { readProcStat, waitGone } from '../../state/proc';
import { defaultSpec } from '../default-spec';
import { isCgroup2UnifiedHost } from '../spec-file';
import { deleteContainer } from '../delete';
import { execContainer } from '../exec';
import { killContainer } from '../kill';
import type { RuntimeContext } from '../options';
import { pauseContainer } from '../pause';
import { stateOf } from '../query';
import { resumeContainer } from '../resume';
import { runContainer } from '../run';
import { startContainer } from '../start';
import { buildContainerConfig, type OciMount } from './config';
import { ContainerRecords } from './records';
import type { ContainerFlags, ContainerRecord, ExitRecord, VolumeSpec } from './types';
import { resolveUser, type ResolvedUser } from './user';
import { Volumes } from './volumes';
import { decodeLogRecords } from './json-log';

export interface ImageRunEnv {
  ctx: RuntimeContext;
  /** --image-root, undefined for the default */
  imageRoot?: string;
  registriesConfig?: string;
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  euid: number;
  /** how to run tsrun again (node, its flags and the entry script), for the monitor */
  self: string[];
}

export interface CreateRequest {
  image: string;
  command: string[];
  flags: ContainerFlags;
  pull: 'missing' | 'always' | 'never';
  platform?: string;
  autoRemove: boolean;
}

type ContainerState = 'created' | 'running' | 'paused' | 'exited' | 'dead';

interface Observed {
  state: ContainerState;
  pid: number;
  exit?: ExitRecord;
}

const loadImageApi = () => import('../../image');
const loadNetworkApi = () => import('../../network');

function imageEnvOf(e: ImageRunEnv) {
  return { imageRoot: e.imageRoot, registriesConfig: e.registriesConfig, out: e.err, stdoutIsTty: false, columns: 80, euid: e.euid, env: e.env };
}

function networkEnvOf(e: ImageRunEnv) {
  return { ...(e.imageRoot ? { imageRoot: e.imageRoot } : {}), euid: e.euid, env: e.env };
}

async function paths(e: ImageRunEnv): Promise<{ root: string; records: ContainerRecords; volumes: Volumes }> {
  const api = await loadImageApi();
  const root = api.openImageStore(imageEnvOf(e)).root;
  return { root, records: new ContainerRecords(root), volumes: new Volumes(root) };
}

function signalNumber(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const up = name.toUpperCase();
  const n = (os.constants.signals as Record<string, number>)[up.startsWith('SIG') ? up : `SIG${up}`];
  if (n === undefined) throw new UsageError(`unknown signal ${JSON.stringify(name)}`);
  return n;
}

function observe(e: ImageRunEnv, records: ContainerRecords, r: ContainerRecord): Observed {
  const exit = records.readExit(r.id);
  try {
    const s = stateOf(e.ctx, { id: r.id });
    if (s.status === 'stopped') return exit ? { state: 'exited', pid: 0, exit } : { state: 'dead', pid: 0 };
    const state: ContainerState = s.status === 'running' || s.status === 'paused' ? s.status : 'created';
    return { state, pid: s.pid ?? 0 };
  } catch (err) {
    // no runtime state, or a damaged one (a create or delete killed half-way): Docker's dead, which rm -f removes
    if (!(err instanceof ContainerNotFoundError) && !(err instanceof DamagedStateError)) throw err;
    return exit ? { state: 'exited', pid: 0, exit } : { state: 'dead', pid: 0 };
  }
}

// ---------------------------------------------------------------------------
// create / run

/** Everything up to a bundle on disk: the record, the layer hold, volumes, config.json. */
async function prepare(e: ImageRunEnv, req: CreateRequest): Promise<ContainerRecord> {
  const api = await loadImageApi();
  const image = await api.imageForRun(imageEnvOf(e), { ref: req.image, pull: req.pull, platform: req.platform, err: e.err });
  if (image.layerTrees.length > MAX_OVERLAY_LAYERS) {
    throw new TsrunError(`image ${image.name} has ${image.layerTrees.length} layers, more than overlayfs's limit of ${MAX_OVERLAY_LAYERS}: nothing was created`);
  }
  const store = api.openImageStore(imageEnvOf(e));
  const records = new ContainerRecords(store.root);
  const volumes = new Volumes(store.root);
  const id = ContainerRecords.newId();
  const dirs = records.makeDirs(id);
  let record: ContainerRecord | undefined;
  try {
    const name = records.reserveName(req.flags.name, id);
    const stopSignal = req.flags.stopSignal ?? image.config.StopSignal ?? 'SIGTERM';
    signalNumber(stopSignal);
    record = {
      id,
      name,
      image: req.image,
      imageId: image.id,
      created: new Date().toISOString(),
      command: [],
      autoRemove: req.autoRemove,
      stopSignal,
      volumes: [],
      detached: false,
      tty: req.flags.tty,
      interactive: req.flags.interactive,
    };
    records.write(record);
    await api.holdLayers(store, { holder: id, image: image.id, ref: image.name, layers: image.chainIds });
    const userSpec = req.flags.user ?? (image.config.User || '0');
    const user = resolveUser(userSpec, api.readImageFile(image.layerTrees, 'etc/passwd')?.toString('utf8'), api.readImageFile(image.layerTrees, 'etc/group')?.toString('utf8'));
    // image Volumes not covered by a flag become anonymous volumes
    const specs: VolumeSpec[] = [...req.flags.volumes];
    for (const target of Object.keys(image.config.Volumes ?? {})) {
      const t = path.posix.normalize(target);
      if (!specs.some((s) => s.target === t)) specs.push({ kind: 'anonymous', target: t, readonly: false });
    }
    const mounts: OciMount[] = [];
    for (const s of specs) {
      if (s.kind === 'tmpfs') {
        mounts.push({ destination: s.target, type: 'tmpfs', source: 'tmpfs', options: s.options });
        continue;
      }
      let source: string;
      if (s.kind === 'bind') {
        let st: fs.Stats;
        try {
          st = fs.statSync(s.source);
        } catch {
          throw new UsageError(`-v ${s.source}:${s.target}: bind source path does not exist: ${s.source}`);
        }
        source = fs.realpathSync(s.source);
        void st;
      } else {
        const volName = s.kind === 'named' ? s.name : Volumes.anonymousName();
        // recorded before it exists, so that a create killed in between leaves nothing rm cannot find
        record.volumes.push({ name: volName, anonymous: s.kind === 'anonymous', target: s.target });
        records.write(record);
        const created = volumes.ensure(volName, s.kind === 'anonymous');
        if (created) volumes.copyUp(volName, image.layerTrees, s.target);
        source = volumes.data(volName);
      }
      mounts.push({ destination: s.target, type: 'bind', source, options: ['rbind', s.readonly ? 'ro' : 'rw', 'rprivate'] });
    }
    // the network namespace is made and attached now, before the container exists (it joins it by path)
    const network = (await loadNetworkApi()).setupContainerNetwork(networkEnvOf(e), {
      containerId: id,
      name,
      ...(req.flags.hostname !== undefined ? { hostname: req.flags.hostname } : {}),
      network: req.flags.network,
      publish: req.flags.publish,
      ...(req.flags.ip !== undefined ? { ip: req.flags.ip } : {}),
      dns: req.flags.dns,
      addHosts: req.flags.addHosts,
    });
    for (const m of network.mounts) if (!mounts.some((x) => x.destination === m.destination)) mounts.push(m);
    const overlay: OverlaySpec = { lowerDirs: records.linkLowerDirs(id, [...image.layerTrees].reverse()), upperDir: dirs.upper, workDir: dirs.work };
    const config = buildContainerConfig({
      id,
      spec: defaultSpec({ cgroupNamespace: isCgroup2UnifiedHost(), seccomp: defaultSeccompProfile() as unknown as Record<string, unknown> }),
      image: image.config,
      command: req.command,
      flags: req.flags,
      user,
      mounts,
      annotations: {
        [OVERLAY_ANNOTATION]: JSON.stringify(overlay),
        'org.opencontainers.image.stopSignal': stopSignal,
        'org.tsrun.container.name': name,
        'org.tsrun.image': image.name,
      },
    });
    if (network.netnsPath) {
      const linux = config.linux as { namespaces: Array<{ type: string; path?: string }> };
      linux.namespaces = linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: network.netnsPath } : n));
    }
    record.command = (config.process as { args: string[] }).args;
    fs.writeFileSync(path.join(dirs.bundle, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    records.write(record);
    return record;
  } catch (err) {
    await removeEverything(e, records, volumes, record ?? { id, name: '', volumes: [] } as unknown as ContainerRecord, true);
    throw err;
  }
}

/**
 * Stop the container's tsrun-monitor, if one still runs (pid and start time
 * as it recorded them): otherwise its exit record and ON_EXIT command (a
 * `delete --force` of the same id) could land after this removal, or on the
 * container `start` makes anew. The monitor of a --rm container runs
 * `container rm` as itself, in its own pid: that one is not stopped.
 */
async function stopMonitor(records: ContainerRecords, r: ContainerRecord): Promise<void> {
  const m = records.readMonitor(r.id);
  if (!m || m.pid === process.pid) return;
  if (readProcStat(m.pid)?.startTime !== m.startTime) return;
  try {
    process.kill(m.pid, 'SIGKILL');
  } catch {
    return; // gone already
  }
  await waitGone(m.pid, m.startTime);
}

/**
 * The monitor, the runtime state, the layer hold, anonymous volumes (when
 * asked) and the directory. The runtime state always goes through the core's
 * `delete --force`, which repairs from whatever a killed tsrun left (a
 * journal without state.json, damaged state, only the default cgroup) and
 * succeeds when there is nothing.
 */
async function removeEverything(e: ImageRunEnv, records: ContainerRecords, volumes: Volumes, r: ContainerRecord, anonymousVolumes: boolean): Promise<void> {
  await stopMonitor(records, r);
  await deleteContainer(e.ctx, { id: r.id, force: true });
  // CNI DEL from the attachment record: also after a tsrun killed between attach and start
  (await loadNetworkApi()).teardownContainerNetwork(networkEnvOf(e), r.id);
  const api = await loadImageApi();
  api.releaseLayers(api.openImageStore(imageEnvOf(e)), r.id);
  if (anonymousVolumes) for (const v of r.volumes ?? []) if (v.anonymous) fs.rmSync(path.join(volumes.dir, v.name), { recursive: true, force: true });
  records.remove(r);
}

/**
 * `tsrun create` of the bundle under a tsrun-monitor, which stays the init's
 * parent, records its exit, and copies its stdout and stderr (or its
 * terminal's output, with -t) into the log as json-file records.
 */
async function createMonitored(e: ImageRunEnv, records: ContainerRecords, r: ContainerRecord): Promise<void> {
  const pidFile = path.join(records.containerDir(r.id), 'init.pid');
  fs.rmSync(pidFile, { force: true });
  records.clearExit(r.id);
  const logFile = records.logFile(r.id);
  const logStart = fileSize(logFile);
  const monitorLog = fs.openSync(records.monitorLogFile(r.id), 'a', 0o600);
  const consoleSocket = records.consoleSocket(r.id);
  const globals = ['--root', e.ctx.root, ...(e.imageRoot ? ['--image-root', e.imageRoot] : [])];
  // the create's warnings go to the monitor's log, not to the container's stderr (its fatal error goes to both)
  const create = [...e.self, '--root', e.ctx.root, '--log', records.monitorLogFile(r.id), 'create', '--bundle', records.bundle(r.id), '--pid-file', pidFile, ...(r.tty ? ['--console-socket', consoleSocket] : []), r.id];
  // after the exit: --rm removes everything; otherwise the runtime state and cgroup go, as with Docker
  const onExit = r.autoRemove ? [...e.self, ...globals, 'container', 'rm', '-f', '-v', r.id] : [...e.self, '--root', e.ctx.root, 'delete', '--force', r.id];
  // -i with nobody attached (Docker's -di): stdin stays open and empty; with -t it is the terminal
  const options = ['--log', logFile, ...(r.tty ? ['--console-socket', consoleSocket] : []), ...(r.interactive && !r.tty ? ['--stdin-open'] : [])];
  // loaded here, not at the top: node:child_process (with net and streams) costs every other command ~3 ms
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof ChildProcess;
  const child = spawn(nativeExecutable('tsrun-monitor'), [...options, records.monitorFile(r.id), records.exitFile(r.id), pidFile, '3', String(create.length), ...create, ...onExit], {
    detached: true,
    stdio: ['ignore', monitorLog, monitorLog, 'pipe'],
    env: e.env,
  });
  fs.closeSync(monitorLog);
  const ready = await new Promise<string>((resolve, reject) => {
    let text = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => (text += d));
    pipe.on('end', () => resolve(text));
    pipe.on('error', reject);
    child.on('error', reject);
  });
  child.unref();
  if (ready.trim() !== 'ok') {
    // what the create said, from the log (it is the container's stdout and stderr)
    const said = decodeLogRecords(readFrom(logFile, logStart)).records.map((x) => x.log).join('');
    const logText = said.trim().split('\n').slice(-3).join('\n');
    throw new TsrunError(`container ${r.name}: ${ready.trim() || 'the monitor exited'}${logText ? `: ${logText}` : ''}`);
  }
}

/** The text of a file from a byte offset ('' when it is missing). */
function readFrom(file: string, offset: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    const n = buf.length ? fs.readSync(fd, buf, 0, buf.length, offset) : 0;
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export async function containerCreate(e: ImageRunEnv, req: CreateRequest): Promise<number> {
  const r = await prepare(e, req);
  const { records, volumes } = await paths(e);
  r.detached = true;
  records.write(r);
  try {
    await createMonitored(e, records, r);
  } catch (err) {
    await removeEverything(e, records, volumes, r, true);
    throw err;
  }
  e.out(`${r.id}\n`);
  return 0;
}

export async function containerRun(e: ImageRunEnv, req: CreateRequest & { detach: boolean }): Promise<number> {
  if (req.detach) {
    const r = await prepare(e, req);
    const { records, volumes } = await paths(e);
    r.detached = true;
    records.write(r);
    try {
      await createMonitored(e, records, r);
      // a network attach goes here: the netns exists, the process has not started
      await startContainer(e.ctx, { id: r.id });
    } catch (err) {
      await removeEverything(e, records, volumes, r, true);
      throw err;
    }
    e.out(`${r.id}\n`);
    return 0;
  }
  const r = await prepare(e, req);
  const { records, volumes } = await paths(e);
  let code: number;
  try {
    // a network attach goes between create and start (runContainer's createContainer / startContainer)
    code = await runContainer(e.ctx, { id: r.id, bundle: records.bundle(r.id), keep: false, detach: false, noPivot: false, noNewKeyring: false, preserveFds: 0, noSubreaper: false });
  } catch (err) {
    await removeEverything(e, records, volumes, r, true);
    throw err;
  }
  records.writeExit(r.id, code);
  if (r.autoRemove) await removeEverything(e, records, volumes, r, true);
  return code;
}

// ---------------------------------------------------------------------------
// life cycle

async function each(e: ImageRunEnv, words: string[], fn: (r: ContainerRecord, records: ContainerRecords, volumes: Volumes) => Promise<void>): Promise<number> {
  const { records, volumes } = await paths(e);
  let failed = 0;
  for (const w of words) {
    try {
      await fn(records.find(w), records, volumes);
      e.out(`${w}\n`);
    } catch (err) {
      failed++;
      e.err(`Error response from daemon: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

async function startOne(e: ImageRunEnv, records: ContainerRecords, r: ContainerRecord): Promise<void> {
  const o = observe(e, records, r);
  if (o.state === 'running' || o.state === 'paused') return;
  if (o.state !== 'created') {
    // exited or dead: made anew from the same bundle (the upper dir and volumes stay)
    await stopMonitor(records, r);
    await deleteContainer(e.ctx, { id: r.id, force: true });
    r.detached = true;
    records.write(r);
    await createMonitored(e, records, r);
  }
  await startContainer(e.ctx, { id: r.id });
}

export async function containerStart(e: ImageRunEnv, o: { names: string[]; attach: boolean }): Promise<number> {
  if (!o.attach) return each(e, o.names, async (r, records) => startOne(e, records, r));
  if (o.names.length !== 1) throw new UsageError('start -a takes one container');
  const { records } = await paths(e);
  const r = records.find(o.names[0] as string);
  const offset = fileSize(records.logFile(r.id));
  await startOne(e, records, r);
  await follow(e, records, r, offset, true);
  return records.readExit(r.id)?.code ?? 0;
}

async function waitStopped(e: ImageRunEnv, records: ContainerRecords, r: ContainerRecord, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const s = observe(e, records, r).state;
    if (s !== 'running' && s !== 'paused' && s !== 'created') return true;
    if (Date.now() >= end) return false;
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function containerStop(e: ImageRunEnv, o: { names: string[]; timeoutSeconds?: number; signal?: string }): Promise<number> {
  return each(e, o.names, async (r, records) => {
    const s = observe(e, records, r).state;
    if (s !== 'running' && s !== 'paused') return;
    const signal = signalNumber(o.signal ?? r.stopSignal);
    killContainer(e.ctx, { id: r.id, signal, all: false });
    if (s === 'paused') resumeContainer(e.ctx, { id: r.id });
    if (await waitStopped(e, records, r, (o.timeoutSeconds ?? 10) * 1000)) return;
    killContainer(e.ctx, { id: r.id, signal: 9, all: false });
    await waitStopped(e, records, r, 30_000);
  });
}

export async function containerKill(e: ImageRunEnv, o: { names: string[]; signal: string }): Promise<number> {
  const signal = signalNumber(o.signal);
  return each(e, o.names, async (r, records) => {
    const s = observe(e, records, r).state;
    if (s !== 'running' && s !== 'paused') throw new TsrunError(`cannot kill container ${r.name}: it is not running`);
    killContainer(e.ctx, { id: r.id, signal, all: false });
  });
}

export async function containerPause(e: ImageRunEnv, o: { names: string[]; resume: boolean }): Promise<number> {
  return each(e, o.names, async (r) => {
    if (o.resume) resumeContainer(e.ctx, { id: r.id });
    else pauseContainer(e.ctx, { id: r.id });
  });
}

export async function containerRm(e: ImageRunEnv, o: { names: string[]; force: boolean; volumes: boolean }): Promise<number> {
  return each(e, o.names, async (r, records, volumes) => {
    const s = observe(e, records, r).state;
    if ((s === 'running' || s === 'paused') && !o.force) {
      throw new TsrunError(`cannot remove container ${r.name}: container is ${s}: stop the container before removing or force remove`);
    }
    await removeEverything(e, records, volumes, r, o.volumes);
  });
}

export async function containerPrune(e: ImageRunEnv): Promise<number> {
  const { records, volumes } = await paths(e);
  e.out('Deleted Containers:\n');
  for (const r of records.all()) {
    const s = observe(e, records, r).state;
    if (s !== 'exited' && s !== 'dead') continue;
    await removeEverything(e, records, volumes, r, false);
    e.out(`${r.id}\n`);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// ls, inspect, logs, exec

function ago(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? 'About an hour' : `${h} hours`;
  return `${Math.round(h / 24)} days`;
}

function statusText(o: Observed, r: ContainerRecord): string {
  switch (o.state) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${ago(r.created)}`;
    case 'paused':
      return `Up ${ago(r.created)} (Paused)`;
    case 'exited':
      return `Exited (${o.exit?.code ?? -1}) ${ago(o.exit?.finishedAt)} ago`;
    default:
      return 'Dead';
  }
}

export async function containerLs(e: ImageRunEnv, o: { all: boolean; quiet: boolean; format: 'table' | 'json' }): Promise<number> {
  const { records } = await paths(e);
  const rows = records
    .all()
    .map((r) => ({ r, o: observe(e, records, r) }))
    .filter(({ o: s }) => o.all || s.state === 'running' || s.state === 'paused')
    .sort((a, b) => b.r.created.localeCompare(a.r.created));
  if (o.quiet) {
    for (const { r } of rows) e.out(`${r.id.slice(0, 12)}\n`);
    return 0;
  }
  if (o.format === 'json') {
    for (const { r, o: s } of rows) {
      e.out(`${JSON.stringify({ ID: r.id, Image: r.image, Command: r.command.join(' '), CreatedAt: r.created, State: s.state, Status: statusText(s, r), Names: r.name, ExitCode: s.exit?.code })}\n`);
    }
    return 0;
  }
  const table = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
  for (const { r, o: s } of rows) {
    const cmd = r.command.join(' ');
    table.push([r.id.slice(0, 12), r.image, JSON.stringify(cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd), `${ago(r.created)} ago`, statusText(s, r), '', r.name]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  for (const row of table) e.out(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd((widths[i] as number) + 3))).join('').trimEnd()}\n`);
  return 0;
}

export async function containerInspect(e: ImageRunEnv, o: { names: string[] }): Promise<number> {
  const { records } = await paths(e);
  const network = await loadNetworkApi();
  const out = o.names.map((w) => {
    const r = records.find(w);
    const s = observe(e, records, r);
    let config: unknown;
    try {
      config = JSON.parse(fs.readFileSync(path.join(records.bundle(r.id), 'config.json'), 'utf8'));
    } catch {
      config = undefined;
    }
    return {
      Id: r.id,
      Name: `/${r.name}`,
      Created: r.created,
      Image: r.imageId,
      Config: { Image: r.image, Cmd: r.command, StopSignal: r.stopSignal, Tty: r.tty, OpenStdin: r.interactive },
      State: { Status: s.state, Running: s.state === 'running', Paused: s.state === 'paused', Dead: s.state === 'dead', Pid: s.pid, ExitCode: s.exit?.code ?? 0, FinishedAt: s.exit?.finishedAt ?? '' },
      HostConfig: { AutoRemove: r.autoRemove },
      NetworkSettings: network.containerNetworkSettings(networkEnvOf(e), r.id),
      Mounts: r.volumes.map((v) => ({ Type: 'volume', Name: v.name, Destination: v.target })),
      LogPath: r.detached ? records.logFile(r.id) : '',
      GraphDriver: { Name: 'overlay', Data: { UpperDir: path.join(records.containerDir(r.id), 'upper'), WorkDir: path.join(records.containerDir(r.id), 'work') } },
      Tsrun: { Bundle: records.bundle(r.id), Root: e.ctx.root, Spec: config },
    };
  });
  e.out(`${JSON.stringify(out, null, 4)}\n`);
  return 0;
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/** The monitor has written the exit record, or is gone (killed): the log will not grow. */
function monitorDone(records: ContainerRecords, r: ContainerRecord): boolean {
  if (records.readExit(r.id)) return true;
  const m = records.readMonitor(r.id);
  return !m || readProcStat(m.pid)?.startTime !== m.startTime;
}

/**
 * Copy the log's records from offset to stdout and stderr, each to the stream
 * it came from (as docker logs); with untilExit, keep reading until the
 * container has stopped and its monitor has copied the last of its output.
 */
async function follow(e: ImageRunEnv, records: ContainerRecords, r: ContainerRecord, offset: number, untilExit: boolean): Promise<void> {
  const file = records.logFile(r.id);
  let pos = offset;
  let rest = Buffer.alloc(0);
  const drain = (): void => {
    for (;;) {
      const size = fileSize(file);
      if (size <= pos) return;
      const fd = fs.openSync(file, 'r');
      let chunk: Buffer;
      try {
        const buf = Buffer.alloc(Math.min(size - pos, 1 << 20));
        chunk = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, pos));
      } finally {
        fs.closeSync(fd);
      }
      if (chunk.length === 0) return;
      pos += chunk.length;
      const text = Buffer.concat([rest, chunk]);
      // whole lines only: a record being written is read again with the rest of it
      const end = text.lastIndexOf(0x0a) + 1;
      rest = text.subarray(end);
      for (const rec of decodeLogRecords(text.subarray(0, end).toString('utf8')).records) (rec.stream === 'stderr' ? process.stderr : process.stdout).write(rec.log);
    }
  };
  for (;;) {
    drain();
    if (!untilExit) return;
    const s = observe(e, records, r).state;
    if (s !== 'running' && s !== 'paused' && s !== 'created' && monitorDone(records, r)) {
      drain();
      return;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function containerLogs(e: ImageRunEnv, o: { name: string; follow: boolean }): Promise<number> {
  const { records } = await paths(e);
  const r = records.find(o.name);
  if (!r.detached) throw new TsrunError(`container ${r.name} ran in the foreground: its output went to the terminal, there are no logs`);
  await follow(e, records, r, 0, o.follow);
  return 0;
}

/**
 * exec -u as Docker resolves it: in the files the container sees, which are
 * its upper dir over the image's layers (the overlay is mounted only inside
 * the container), read with the same rules as at create (whiteouts and
 * opaque directories count, no symlink followed).
 */
async function containerUser(records: ContainerRecords, r: ContainerRecord, spec: string): Promise<ResolvedUser> {
  let overlay: OverlaySpec;
  try {
    const config = JSON.parse(fs.readFileSync(path.join(records.bundle(r.id), 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
    overlay = JSON.parse(config.annotations?.[OVERLAY_ANNOTATION] ?? '') as OverlaySpec;
  } catch (err) {
    throw new TsrunError(`container ${r.name}: cannot read its rootfs layers from its bundle: ${(err as Error).message}`);
  }
  const trees = [...overlay.lowerDirs].reverse().concat(overlay.upperDir);
  const api = await loadImageApi();
  return resolveUser(spec, api.readImageFile(trees, 'etc/passwd')?.toString('utf8'), api.readImageFile(trees, 'etc/group')?.toString('utf8'), `container ${r.name}'s`);
}

export async function containerExec(e: ImageRunEnv, o: { name: string; args: string[]; env: string[]; user?: string; workdir?: string; tty: boolean; detach: boolean }): Promise<number> {
  const { records } = await paths(e);
  const r = records.find(o.name);
  // names resolve in the container's own /etc/passwd and /etc/group: its upper dir over the image's layers
  const user = o.user === undefined ? undefined : await containerUser(records, r, o.user);
  return execContainer(e.ctx, {
    id: r.id,
    args: o.args,
    env: o.env,
    tty: o.tty,
    detach: o.detach,
    additionalGids: user?.additionalGids ?? [],
    caps: [],
    preserveFds: 0,
    ignorePaused: false,
    ...(user ? { user: { uid: user.uid, gid: user.gid } } : {}),
    ...(o.workdir ? { cwd: o.workdir } : {}),
  });
}

// ---------------------------------------------------------------------------
// volumes

function volumeUsers(records: ContainerRecords, name: string): ContainerRecord[] {
  return records.all().filter((r) => (r.volumes ?? []).some((v) => v.name === name));
}

export async function volumeCreate(e: ImageRunEnv, o: { name?: string }): Promise<number> {
  const { volumes } = await paths(e);
  const name = o.name ?? Volumes.anonymousName();
  volumes.ensure(name, o.name === undefined);
  e.out(`${name}\n`);
  return 0;
}

export async function volumeLs(e: ImageRunEnv, o: { quiet: boolean; format: 'table' | 'json' }): Promise<number> {
  const { volumes } = await paths(e);
  const list = volumes.list().sort((a, b) => a.Name.localeCompare(b.Name));
  if (o.quiet) for (const v of list) e.out(`${v.Name}\n`);
  else if (o.format === 'json') for (const v of list) e.out(`${JSON.stringify(v)}\n`);
  else {
    e.out('DRIVER    VOLUME NAME\n');
    for (const v of list) e.out(`local     ${v.Name}\n`);
  }
  return 0;
}

export async function volumeInspect(e: ImageRunEnv, o: { names: string[] }): Promise<number> {
  const { volumes } = await paths(e);
  e.out(`${JSON.stringify(o.names.map((n) => volumes.inspect(n)), null, 4)}\n`);
  return 0;
}

export async function volumeRm(e: ImageRunEnv, o: { names: string[]; force: boolean }): Promise<number> {
  const { records, volumes } = await paths(e);
  let failed = 0;
  for (const n of o.names) {
    try {
      const users = volumeUsers(records, n);
      if (users.length) throw new TsrunError(`remove ${n}: volume is in use - [${users.map((u) => u.id).join(', ')}]`);
      volumes.remove(n);
      e.out(`${n}\n`);
    } catch (err) {
      if (o.force && /no such volume/.test((err as Error).message)) continue;
      failed++;
      e.err(`Error response from daemon: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** Docker ≥ 23: prune removes unused anonymous volumes; --all named ones too. */
export async function volumePrune(e: ImageRunEnv, o: { all: boolean }): Promise<number> {
  const { records, volumes } = await paths(e);
  e.out('Deleted Volumes:\n');
  for (const v of volumes.list()) {
    if (!o.all && !v.Anonymous) continue;
    if (volumeUsers(records, v.Name).length) continue;
    volumes.remove(v.Name);
    e.out(`${v.Name}\n`);
  }
  return 0;
}

