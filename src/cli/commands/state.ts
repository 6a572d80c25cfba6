import { state } from '../../container/operations';
import { formatStateJson } from '../../state/oci-state';
import { id, runtimeContext, type CommandHandler } from './common';

/** Prints the OCI state: 2-space indent, no trailing newline (runc). */
export const handler: CommandHandler = async (p, g, env) => {
  env.out(formatStateJson(await state(runtimeContext(g), { id: id(p) })));
  return 0;
};
