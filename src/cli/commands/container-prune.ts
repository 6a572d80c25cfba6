import type { CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (_p, g, env) => (await loadContainerApi()).containerPrune(imageRunEnv(g, env));
