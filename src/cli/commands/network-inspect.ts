import type { CommandHandler } from './common';
import { loadNetworkApi, networkEnv } from './network-common';

export const handler: CommandHandler = async (p, g, env) => (await loadNetworkApi()).inspectCommand(networkEnv(g, env), { names: p.args });
