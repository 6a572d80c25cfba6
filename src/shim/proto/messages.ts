// The protobuf messages the shim speaks, numbered exactly as the .proto files
// of containerd 1.6 (api/runtime/task/v2/shim.proto, api/types/*.proto,
// api/events/task.proto, api/services/ttrpc/events/v1/events.proto,
// runtime/v2/runc/options/oci.proto, pkg/runtimeoptions/v1/api.proto), of
// ttrpc (request.proto) and of google's well-known types. Only the fields
// the shim reads or writes are listed; the rest are skipped when decoding.
import { message, type Infer } from './codec';

// --- google.protobuf / google.rpc ---
export const Any = message('google.protobuf.Any', {
  typeUrl: { no: 1, kind: 'string' },
  value: { no: 2, kind: 'bytes' },
});
export type Any = Infer<typeof Any>;

export const Empty = message('google.protobuf.Empty', {});

export const Timestamp = message('google.protobuf.Timestamp', {
  seconds: { no: 1, kind: 'int64' },
  nanos: { no: 2, kind: 'int32' },
});
export type Timestamp = Infer<typeof Timestamp>;

const RpcStatus = message('google.rpc.Status', {
  code: { no: 1, kind: 'int32' },
  message: { no: 2, kind: 'string' },
  details: { no: 3, kind: 'message', type: () => Any, repeated: true },
});

// --- ttrpc (github.com/containerd/ttrpc request.proto) ---
const KeyValue = message('ttrpc.KeyValue', {
  key: { no: 1, kind: 'string' },
  value: { no: 2, kind: 'string' },
});

export const TtrpcRequest = message('ttrpc.Request', {
  service: { no: 1, kind: 'string' },
  method: { no: 2, kind: 'string' },
  payload: { no: 3, kind: 'bytes' },
  timeoutNano: { no: 4, kind: 'int64' },
  metadata: { no: 5, kind: 'message', type: () => KeyValue, repeated: true },
});

export const TtrpcResponse = message('ttrpc.Response', {
  status: { no: 1, kind: 'message', type: () => RpcStatus },
  payload: { no: 2, kind: 'bytes' },
});

// --- containerd.types ---
export const Mount = message('containerd.types.Mount', {
  type: { no: 1, kind: 'string' },
  source: { no: 2, kind: 'string' },
  target: { no: 3, kind: 'string' },
  options: { no: 4, kind: 'string', repeated: true },
});
export type Mount = Infer<typeof Mount>;

/** containerd.v1.types.Status */
export const TaskStatus = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;

const ProcessInfo = message('containerd.v1.types.ProcessInfo', {
  pid: { no: 1, kind: 'uint32' },
  info: { no: 2, kind: 'message', type: () => Any },
});

// --- containerd.task.v2 (the Task service) ---
export const CreateTaskRequest = message('containerd.task.v2.CreateTaskRequest', {
  id: { no: 1, kind: 'string' },
  bundle: { no: 2, kind: 'string' },
  rootfs: { no: 3, kind: 'message', type: () => Mount, repeated: true },
  terminal: { no: 4, kind: 'bool' },
  stdin: { no: 5, kind: 'string' },
  stdout: { no: 6, kind: 'string' },
  stderr: { no: 7, kind: 'string' },
  checkpoint: { no: 8, kind: 'string' },
  parentCheckpoint: { no: 9, kind: 'string' },
  options: { no: 10, kind: 'message', type: () => Any },
});
export type CreateTaskRequest = Infer<typeof CreateTaskRequest>;

export const CreateTaskResponse = message('containerd.task.v2.CreateTaskResponse', {
  pid: { no: 1, kind: 'uint32' },
});

export const DeleteRequest = message('containerd.task.v2.DeleteRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
});

export const DeleteResponse = message('containerd.task.v2.DeleteResponse', {
  pid: { no: 1, kind: 'uint32' },
  exitStatus: { no: 2, kind: 'uint32' },
  exitedAt: { no: 3, kind: 'message', type: () => Timestamp },
});

export const ExecProcessRequest = message('containerd.task.v2.ExecProcessRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
  terminal: { no: 3, kind: 'bool' },
  stdin: { no: 4, kind: 'string' },
  stdout: { no: 5, kind: 'string' },
  stderr: { no: 6, kind: 'string' },
  spec: { no: 7, kind: 'message', type: () => Any },
});

export const ResizePtyRequest = message('containerd.task.v2.ResizePtyRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
  width: { no: 3, kind: 'uint32' },
  height: { no: 4, kind: 'uint32' },
});

export const StateRequest = message('containerd.task.v2.StateRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
});

export const StateResponse = message('containerd.task.v2.StateResponse', {
  id: { no: 1, kind: 'string' },
  bundle: { no: 2, kind: 'string' },
  pid: { no: 3, kind: 'uint32' },
  status: { no: 4, kind: 'enum' },
  stdin: { no: 5, kind: 'string' },
  stdout: { no: 6, kind: 'string' },
  stderr: { no: 7, kind: 'string' },
  terminal: { no: 8, kind: 'bool' },
  exitStatus: { no: 9, kind: 'uint32' },
  exitedAt: { no: 10, kind: 'message', type: () => Timestamp },
  execId: { no: 11, kind: 'string' },
});

export const KillRequest = message('containerd.task.v2.KillRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
  signal: { no: 3, kind: 'uint32' },
  all: { no: 4, kind: 'bool' },
});

export const CloseIORequest = message('containerd.task.v2.CloseIORequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
  stdin: { no: 3, kind: 'bool' },
});

export const PidsRequest = message('containerd.task.v2.PidsRequest', {
  id: { no: 1, kind: 'string' },
});

export const PidsResponse = message('containerd.task.v2.PidsResponse', {
  processes: { no: 1, kind: 'message', type: () => ProcessInfo, repeated: true },
});

export const CheckpointTaskRequest = message('containerd.task.v2.CheckpointTaskRequest', {
  id: { no: 1, kind: 'string' },
  path: { no: 2, kind: 'string' },
});

export const UpdateTaskRequest = message('containerd.task.v2.UpdateTaskRequest', {
  id: { no: 1, kind: 'string' },
  resources: { no: 2, kind: 'message', type: () => Any },
  annotations: { no: 3, kind: 'map' },
});

export const StartRequest = message('containerd.task.v2.StartRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
});

export const StartResponse = message('containerd.task.v2.StartResponse', {
  pid: { no: 1, kind: 'uint32' },
});

export const WaitRequest = message('containerd.task.v2.WaitRequest', {
  id: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
});

export const WaitResponse = message('containerd.task.v2.WaitResponse', {
  exitStatus: { no: 1, kind: 'uint32' },
  exitedAt: { no: 2, kind: 'message', type: () => Timestamp },
});

export const StatsRequest = message('containerd.task.v2.StatsRequest', {
  id: { no: 1, kind: 'string' },
});

export const StatsResponse = message('containerd.task.v2.StatsResponse', {
  stats: { no: 1, kind: 'message', type: () => Any },
});

export const ConnectRequest = message('containerd.task.v2.ConnectRequest', {
  id: { no: 1, kind: 'string' },
});

export const ConnectResponse = message('containerd.task.v2.ConnectResponse', {
  shimPid: { no: 1, kind: 'uint32' },
  taskPid: { no: 2, kind: 'uint32' },
  version: { no: 3, kind: 'string' },
});

export const ShutdownRequest = message('containerd.task.v2.ShutdownRequest', {
  id: { no: 1, kind: 'string' },
  now: { no: 2, kind: 'bool' },
});

export const PauseRequest = message('containerd.task.v2.PauseRequest', {
  id: { no: 1, kind: 'string' },
});

export const ResumeRequest = message('containerd.task.v2.ResumeRequest', {
  id: { no: 1, kind: 'string' },
});

// --- runtime options carried in CreateTaskRequest.options ---
/** containerd.runc.v1.Options: what an operator may send with runc's option type */
export const RuncOptions = message('containerd.runc.v1.Options', {
  noPivotRoot: { no: 1, kind: 'bool' },
  noNewKeyring: { no: 2, kind: 'bool' },
  root: { no: 7, kind: 'string' },
  systemdCgroup: { no: 9, kind: 'bool' },
});

/** runtimeoptions.v1.Options: CRI's options for other runtimes; ctr --runtime-config-path */
export const RuntimeOptions = message('runtimeoptions.v1.Options', {
  typeUrl: { no: 1, kind: 'string' },
  configPath: { no: 2, kind: 'string' },
});

/** containerd.runc.v1.ProcessDetails: ProcessInfo.info of an exec'd process (ctr task ps) */
export const ProcessDetails = message('containerd.runc.v1.ProcessDetails', {
  execId: { no: 1, kind: 'string' },
});

// --- containerd.events (published to containerd) ---
const TaskIO = message('containerd.events.TaskIO', {
  stdin: { no: 1, kind: 'string' },
  stdout: { no: 2, kind: 'string' },
  stderr: { no: 3, kind: 'string' },
  terminal: { no: 4, kind: 'bool' },
});

export const TaskCreate = message('containerd.events.TaskCreate', {
  containerId: { no: 1, kind: 'string' },
  bundle: { no: 2, kind: 'string' },
  rootfs: { no: 3, kind: 'message', type: () => Mount, repeated: true },
  io: { no: 4, kind: 'message', type: () => TaskIO },
  checkpoint: { no: 5, kind: 'string' },
  pid: { no: 6, kind: 'uint32' },
});

export const TaskStart = message('containerd.events.TaskStart', {
  containerId: { no: 1, kind: 'string' },
  pid: { no: 2, kind: 'uint32' },
});

export const TaskDelete = message('containerd.events.TaskDelete', {
  containerId: { no: 1, kind: 'string' },
  pid: { no: 2, kind: 'uint32' },
  exitStatus: { no: 3, kind: 'uint32' },
  exitedAt: { no: 4, kind: 'message', type: () => Timestamp },
  id: { no: 5, kind: 'string' },
});

export const TaskExit = message('containerd.events.TaskExit', {
  containerId: { no: 1, kind: 'string' },
  id: { no: 2, kind: 'string' },
  pid: { no: 3, kind: 'uint32' },
  exitStatus: { no: 4, kind: 'uint32' },
  exitedAt: { no: 5, kind: 'message', type: () => Timestamp },
});

export const TaskOOM = message('containerd.events.TaskOOM', {
  containerId: { no: 1, kind: 'string' },
});

export const TaskExecAdded = message('containerd.events.TaskExecAdded', {
  containerId: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
});

export const TaskExecStarted = message('containerd.events.TaskExecStarted', {
  containerId: { no: 1, kind: 'string' },
  execId: { no: 2, kind: 'string' },
  pid: { no: 3, kind: 'uint32' },
});

export const TaskPaused = message('containerd.events.TaskPaused', {
  containerId: { no: 1, kind: 'string' },
});

export const TaskResumed = message('containerd.events.TaskResumed', {
  containerId: { no: 1, kind: 'string' },
});

// --- containerd.services.events.ttrpc.v1 (the Events service the shim calls) ---
const Envelope = message('containerd.services.events.ttrpc.v1.Envelope', {
  timestamp: { no: 1, kind: 'message', type: () => Timestamp },
  namespace: { no: 2, kind: 'string' },
  topic: { no: 3, kind: 'string' },
  event: { no: 4, kind: 'message', type: () => Any },
});

export const ForwardRequest = message('containerd.services.events.ttrpc.v1.ForwardRequest', {
  envelope: { no: 1, kind: 'message', type: () => Envelope },
});
