import type { CommandHandler } from './common';
import { loadNetworkApi, networkEnv } from './network-common';

export const handler: CommandHandler = async (_p, g, env) => (await loadNetworkApi()).pruneCommand(networkEnv(g, env));
