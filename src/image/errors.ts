// Errors of the image commands. Each names what the user can act on: the
// reference, the registry, the layer digest and entry, the setting to change.
import { TsrunError, type ErrorContext } from '../errors';

/** A reference, a manifest, a layer or a setting that cannot be used. */
export class ImageError extends TsrunError {}

/** The image (or tag) is not in the local store. Docker's wording: "No such image". */
export class ImageNotFoundError extends ImageError {
  constructor(ref: string) {
    super(`No such image: ${ref}`);
  }
}

/** What a registry answered (or failed to), with the registry and the request. */
export class RegistryError extends ImageError {
  readonly status?: number;
  /** the distribution error code (MANIFEST_UNKNOWN, UNAUTHORIZED, ...) when the body had one */
  readonly code?: string;
  /** worth another attempt (connection reset, 5xx, 429, 408, a stall) */
  readonly retryable: boolean;
  constructor(message: string, ctx: ErrorContext & { status?: number; code?: string; retryable?: boolean } = {}) {
    super(message, ctx);
    this.status = ctx.status;
    this.code = ctx.code;
    this.retryable = ctx.retryable ?? false;
  }
}

/** Content that does not match its digest, size or diff_id: nothing of it is stored. */
export class VerificationError extends ImageError {}

/** A layer entry that would leave the layer or break overlay semantics; names the entry. */
export class LayerEntryError extends ImageError {
  readonly entry: string;
  constructor(layer: string, entry: string, why: string, ctx: ErrorContext = {}) {
    super(`layer ${layer}: entry ${JSON.stringify(entry)}: ${why}`, ctx);
    this.entry = entry;
  }
}

/** Work stopped because another part of the same operation failed. */
export class CancelledError extends ImageError {}
