import type { CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).containerPause(imageRunEnv(g, env), { names: p.args, resume: false });
