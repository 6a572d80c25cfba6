import type { CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) => (await loadImageApi()).inspectCommand(imageEnv(g, env), { refs: p.args });
