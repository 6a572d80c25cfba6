import { bool, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadContainerApi()).containerRm(imageRunEnv(g, env), { names: p.args, force: bool(p, 'force'), volumes: bool(p, 'volumes') });
