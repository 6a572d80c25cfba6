// A CRI client as the kubelet is one: gRPC (HTTP/2) on the runtime's unix
// socket, runtime.v1's RuntimeService and ImageService, every call with a
// deadline. The messages come from test/vm/cri-api.proto (the subset of
// k8s.io/cri-api the CRI test uses); fields keep their proto names
// (snake_case), enums read as their names, 64-bit integers as decimal strings.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = path.join(__dirname, 'cri-api.proto');

type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

/** A request: any subset of the message's fields (proto names). */
type Request = Record<string, unknown>;

interface VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}
interface StatusResponse {
  status: { conditions: Array<{ type: string; status: boolean; reason: string; message: string }> } | null;
}
interface PodSandboxStatusResponse {
  status: {
    id: string;
    metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
    state: PodSandboxState;
    created_at: string;
    network: { ip: string } | null;
    labels: Record<string, string>;
  } | null;
  info: Record<string, string>;
}
interface ListPodSandboxResponse {
  items: Array<{ id: string; state: PodSandboxState }>;
}
export interface ContainerStatusResponse {
  status: {
    id: string;
    metadata: { name: string; attempt: number } | null;
    state: ContainerState;
    created_at: string;
    started_at: string;
    finished_at: string;
    exit_code: number;
    image: { image: string } | null;
    image_ref: string;
    reason: string;
    message: string;
    log_path: string;
  } | null;
  info: Record<string, string>;
}
interface ListContainersResponse {
  containers: Array<{ id: string; pod_sandbox_id: string; state: ContainerState }>;
}
interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}
interface ImageStatusResponse {
  image: { id: string; repo_tags: string[]; size: string } | null;
}

/** The calls the test makes: request and response of each. */
interface RuntimeCalls {
  Version: [Request, VersionResponse];
  Status: [Request, StatusResponse];
  RunPodSandbox: [Request, { pod_sandbox_id: string }];
  StopPodSandbox: [{ pod_sandbox_id: string }, object];
  RemovePodSandbox: [{ pod_sandbox_id: string }, object];
  PodSandboxStatus: [{ pod_sandbox_id: string; verbose?: boolean }, PodSandboxStatusResponse];
  ListPodSandbox: [Request, ListPodSandboxResponse];
  CreateContainer: [Request, { container_id: string }];
  StartContainer: [{ container_id: string }, object];
  StopContainer: [{ container_id: string; timeout: number }, object];
  RemoveContainer: [{ container_id: string }, object];
  ListContainers: [Request, ListContainersResponse];
  ContainerStatus: [{ container_id: string; verbose?: boolean }, ContainerStatusResponse];
  ExecSync: [{ container_id: string; cmd: string[]; timeout?: number }, ExecSyncResponse];
}
interface ImageCalls {
  ImageStatus: [{ image: { image: string } }, ImageStatusResponse];
}

/** A failed call: the gRPC status code (grpc.status) and the server's message. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'CriError';
  }
}

type Unary = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export interface CriClient {
  runtime<K extends keyof RuntimeCalls>(method: K, req: RuntimeCalls[K][0], timeoutMs?: number): Promise<RuntimeCalls[K][1]>;
  image<K extends keyof ImageCalls>(method: K, req: ImageCalls[K][0], timeoutMs?: number): Promise<ImageCalls[K][1]>;
  close(): void;
}

/** A client of the CRI server on unix socket `socket`; each call's deadline defaults to `defaultTimeoutMs`. */
export function criClient(socket: string, defaultTimeoutMs: number): CriClient {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: Record<'RuntimeService' | 'ImageService', grpc.ServiceClientConstructor> };
  };
  const target = `unix://${socket}`;
  const runtimeService = new pkg.runtime.v1.RuntimeService(target, grpc.credentials.createInsecure());
  const imageService = new pkg.runtime.v1.ImageService(target, grpc.credentials.createInsecure());

  const call = (client: grpc.Client, method: string, req: unknown, timeoutMs = defaultTimeoutMs): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
      fn(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details));
        else resolve(res);
      });
    });

  return {
    runtime: (method, req, timeoutMs) => call(runtimeService, method, req, timeoutMs) as never,
    image: (method, req, timeoutMs) => call(imageService, method, req, timeoutMs) as never,
    close: () => {
      runtimeService.close();
      imageService.close();
    },
  };
}
