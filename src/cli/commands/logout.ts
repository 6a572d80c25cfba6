import type { CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) => (await loadImageApi()).logoutCommand(imageEnv(g, env), { registry: p.args[0] });
