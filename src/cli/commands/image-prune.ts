import type { CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (_p, g, env) => (await loadImageApi()).pruneCommand(imageEnv(g, env));
