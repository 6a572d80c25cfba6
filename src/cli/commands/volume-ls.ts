import { bool, format, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).volumeLs(imageRunEnv(g, env), { quiet: bool(p, 'quiet'), format: format(p) });
