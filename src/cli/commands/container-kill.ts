import { str, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).containerKill(imageRunEnv(g, env), { names: p.args, signal: str(p, 'signal') ?? 'SIGKILL' });
