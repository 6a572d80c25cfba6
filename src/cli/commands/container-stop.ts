import { parseIntFlag } from '../values';
import { str, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => {
  const t = str(p, 'time');
  const signal = str(p, 'signal');
  return (await loadContainerApi()).containerStop(imageRunEnv(g, env), {
    names: p.args,
    ...(t !== undefined ? { timeoutSeconds: parseIntFlag('time', t, 0) } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
};
