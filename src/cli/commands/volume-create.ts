import type { CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).volumeCreate(imageRunEnv(g, env), p.args[0] !== undefined ? { name: p.args[0] } : {});
