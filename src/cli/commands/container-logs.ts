import { bool, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) => (await loadContainerApi()).containerLogs(imageRunEnv(g, env), { name: p.args[0] as string, follow: bool(p, 'follow') });
