import type { CommandHandler } from './common';
import { createRequest, imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).containerCreate(imageRunEnv(g, env), await createRequest(p, env));
