// Errors of the network commands and of attaching containers to networks.
// Each names the network, the flag or the CNI plugin the user can act on.
import { TsrunError, UsageError, type ErrorContext } from '../errors';

/** A network that cannot be created, used or removed as asked. */
export class NetworkError extends TsrunError {}

/** Docker's wording: "network NAME not found". */
export class NetworkNotFoundError extends NetworkError {
  constructor(name: string) {
    super(`network ${name} not found`);
  }
}

/** A malformed -p, --subnet, --ip, --dns or --add-host value; names the flag. */
export class NetworkUsageError extends UsageError {}

/**
 * A CNI plugin failed. The plugin's error JSON (CNI spec, "Error") is kept:
 * code (1-99 are the spec's, 100+ the plugin's), msg and details.
 */
export class CniPluginError extends NetworkError {
  readonly plugin: string;
  readonly command: string;
  readonly code: number | undefined;
  readonly details: string | undefined;
  constructor(plugin: string, command: string, msg: string, ctx: ErrorContext & { code?: number; details?: string } = {}) {
    super(`CNI plugin ${plugin} ${command} failed${ctx.code === undefined ? '' : ` (code ${ctx.code})`}: ${msg}${ctx.details ? `: ${ctx.details}` : ''}`, ctx);
    this.plugin = plugin;
    this.command = command;
    this.code = ctx.code;
    this.details = ctx.details;
  }
}
