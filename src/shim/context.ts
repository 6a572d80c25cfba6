// The RuntimeContext the shim hands the container library: the state root of
// the container's namespace, as `tsrun --root <root>` would.
import type { RuntimeContext } from '../container/options';

export function runtimeContext(root: string, systemdCgroup: boolean): RuntimeContext {
  return { root, rootExplicit: true, systemdCgroup };
}
