// A private containerd for tests: its own root, state dir and unix sockets in
// a temp dir (nothing on TCP; the CRI plugin off unless a test configures it),
// plus OCI image archives (busybox-static, or any rootfs) to import with ctr.
// Everything is removed by stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeRootfs, sleep } from '../../helpers';
import { testTempDir } from '../../helpers/ids';

export const IMAGE_REF = 'docker.io/library/tsrun-test-busybox:latest';

interface CtrResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Which binaries are missing; tries `apt-get install containerd` once when some are. */
export function ensureContainerd(): { ok: true } | { ok: false; reason: string } {
  const missing = () => ['containerd', 'ctr', 'containerd-shim-runc-v2'].filter((b) => !onPath(b));
  if (missing().length === 0) return { ok: true };
  try {
    const guard = '/usr/sbin/policy-rc.d';
    const hadGuard = fs.existsSync(guard);
    if (!hadGuard) fs.writeFileSync(guard, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'containerd'], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 300_000,
      });
    } finally {
      if (!hadGuard) fs.rmSync(guard, { force: true });
    }
  } catch (e) {
    return { ok: false, reason: `containerd is not installed and apt-get install containerd failed: ${(e as Error).message}` };
  }
  const still = missing();
  return still.length ? { ok: false, reason: `missing after apt-get install containerd: ${still.join(', ')}` } : { ok: true };
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d && fs.existsSync(path.join(d, bin)));
}

export interface PrivateContainerd {
  dir: string;
  socket: string;
  /** containerd's state dir (bundles live in io.containerd.runtime.v2.task/<ns>/<id>) */
  state: string;
  namespace: string;
  /** ctr -a <socket> -n <namespace> ... */
  ctr(args: readonly string[], opts?: { timeoutMs?: number; input?: string }): Promise<CtrResult>;
  /** shim processes serving this containerd */
  shimPids(): number[];
  /** containerd's pid */
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

export interface ContainerdOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * The CRI plugin's part of config.toml (its [plugins."io.containerd.grpc.v1.cri"]
   * tables), given the daemon's dir; without it the plugin is disabled.
   */
  criConfig?: (dir: string) => string;
}

export async function startContainerd(namespace: string, opts: ContainerdOptions = {}): Promise<PrivateContainerd> {
  // short: the shim and ttrpc sockets live here and sun_path is 108 bytes
  const dir = testTempDir('ctrd');
  const socket = path.join(dir, 'c.sock');
  const state = path.join(dir, 'state');
  const cfg = path.join(dir, 'config.toml');
  fs.writeFileSync(
    cfg,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${state}"`,
      `disabled_plugins = [${opts.criConfig ? '' : '"io.containerd.grpc.v1.cri", '}"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",`,
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${dir}/opt"`,
      opts.criConfig?.(dir) ?? '',
      '',
    ].join('\n'),
  );
  const logPath = path.join(dir, 'containerd.log');
  const logFd = fs.openSync(logPath, 'a');
  const daemon: ChildProcess = spawn('containerd', ['--config', cfg], { stdio: ['ignore', logFd, logFd], env: opts.env ?? process.env });
  fs.closeSync(logFd);
  let exited = false;
  daemon.on('exit', () => (exited = true));

  const ctr = (args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CtrResult> =>
    new Promise((resolve, reject) => {
      const child = spawn('ctr', ['-a', socket, '-n', namespace, ...args], { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });

  const shimPids = (): number[] =>
    fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          const shim = argv[0]?.endsWith('containerd-shim-runc-v2') === true || argv.some((a) => a.endsWith('/dist/src/shim/entry.js'));
          return shim && argv.includes(socket);
        } catch {
          return false;
        }
      })
      .map(Number);

  const stop = async (): Promise<void> => {
    for (const pid of shimPids()) killQuietly(pid);
    if (!exited) {
      daemon.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!exited && Date.now() < deadline) await sleep(50);
      if (!exited) daemon.kill('SIGKILL');
    }
    // containerd leaves its snapshot mounts when it dies mid-way: unmount what lives under dir
    for (const m of mountsUnder(dir).reverse()) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited) throw new Error(`containerd exited at start-up:\n${fs.readFileSync(logPath, 'utf8').slice(-3000)}`);
      if (fs.existsSync(socket)) {
        const v = await ctr(['version'], { timeoutMs: 10_000 });
        if (v.code === 0) break;
      }
      if (Date.now() > deadline) throw new Error(`containerd did not come up:\n${fs.readFileSync(logPath, 'utf8').slice(-3000)}`);
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, socket, state, namespace, ctr, shimPids, pid: daemon.pid!, log: () => fs.readFileSync(logPath, 'utf8'), stop };
}

/** Mount points at or below `dir`, in mountinfo order. */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** What an image archive holds: its name, one layer (a directory tree) and the config's runtime part. */
export interface ImageArchiveSpec {
  /** the name `ctr images import` gives it, e.g. "docker.io/library/x:latest" */
  ref: string;
  rootfs: string;
  config: { Env?: string[]; Entrypoint?: string[]; Cmd?: string[] };
}

/**
 * An OCI image archive (oci-layout, index.json, blobs) of one layer, named
 * `spec.ref` for `ctr images import`; written to `<workDir>/<file>`.
 */
export function buildImageArchive(workDir: string, file: string, spec: ImageArchiveSpec): string {
  const layout = fs.mkdtempSync(path.join(workDir, 'oci-'));
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const layerTar = path.join(layout, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', spec.rootfs, '-cf', layerTar, '.']);
  const put = (data: Buffer) => {
    const digest = sha256(data);
    fs.writeFileSync(path.join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layer = put(fs.readFileSync(layerTar));
  fs.rmSync(layerTar);
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: spec.config,
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'io.containerd.image.name': spec.ref, 'org.opencontainers.image.ref.name': spec.ref.slice(spec.ref.lastIndexOf(':') + 1) },
        },
      ],
    }),
  );
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = path.join(workDir, file);
  execFileSync('tar', ['-C', layout, '-cf', archive, '.']);
  fs.rmSync(layout, { recursive: true, force: true });
  return archive;
}

/** An OCI image archive of a busybox-static rootfs, named IMAGE_REF for `ctr images import`. */
export function buildBusyboxImage(workDir: string): string {
  const rootfs = path.join(workDir, 'image-rootfs');
  makeRootfs(rootfs);
  try {
    return buildImageArchive(workDir, 'busybox-image.tar', {
      ref: IMAGE_REF,
      rootfs,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    });
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

/** A task's row of `ctr task ls`. */
export function taskStatus(list: string, id: string): { pid: number; status: string } | undefined {
  const row = list
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[0] === id);
  return row ? { pid: Number(row[1]), status: row[2]! } : undefined;
}

/** Poll `ctr task ls` until task `id` has `status`. */
export async function waitTask(cd: PrivateContainerd, id: string, status: string, timeoutMs = 20_000): Promise<{ pid: number; status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = taskStatus((await cd.ctr(['task', 'ls'])).stdout, id);
    if (t?.status === status) return t;
    if (Date.now() > deadline) throw new Error(`task ${id}: ${t?.status ?? 'missing'}, expected ${status}`);
    await sleep(100);
  }
}

/** A command line on a fresh pty: script -qec. */
export function underPty(command: string, timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Single-quote an argument for sh. */
export const shq = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** Waits (inside the container) until the pty has a size, since ctr resizes it only after start. */
export const SIZE_LOOP = 'i=0; while [ $i -lt 50 ]; do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; i=$((i+1)); sleep 0.1; done; echo "size=$s"';

/** Host pids whose cgroup is under the containerd namespace `namespace`. */
export function containerProcesses(namespace: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`/${namespace}/`);
      } catch {
        return false;
      }
    })
    .map(Number);
}
