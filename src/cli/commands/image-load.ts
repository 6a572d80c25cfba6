import { absPath, bool, str, type CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadImageApi()).loadCommand(imageEnv(g, env), { input: absPath(env, str(p, 'input')), quiet: bool(p, 'quiet'), stdin: process.stdin });
