import { bool, format, type CommandHandler } from './common';
import { loadNetworkApi, networkEnv } from './network-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadNetworkApi()).listCommand(networkEnv(g, env), { quiet: bool(p, 'quiet'), format: format(p) });
