import { features } from '../../container/operations';
import { buildCommit, TSRUN_VERSION } from '../../version';
import { runtimeContext, type CommandHandler } from './common';

/** Prints the runtime-spec features document (4-space indent, as runc). */
export const handler: CommandHandler = async (_p, g, env) => {
  const doc = await features(runtimeContext(g), { annotations: { 'tsrun.version': TSRUN_VERSION, 'tsrun.commit': buildCommit() } });
  env.out(`${JSON.stringify(doc, null, 4)}\n`);
  return 0;
};
