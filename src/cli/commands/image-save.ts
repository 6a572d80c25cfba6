import { absPath, str, type CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadImageApi()).saveCommand(imageEnv(g, env), { output: absPath(env, str(p, 'output')), refs: p.args, stdout: process.stdout });
