// gRPC status codes as ttrpc carries them (google.rpc.Status.code), and the
// error a service method throws to answer with one. containerd turns the code
// back into its errdefs (NotFound, AlreadyExists, FailedPrecondition, ...).

export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export class RpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'RpcError';
    this.code = code;
  }
}
