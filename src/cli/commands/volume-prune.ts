import { bool, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).volumePrune(imageRunEnv(g, env), { all: bool(p, 'all') });
