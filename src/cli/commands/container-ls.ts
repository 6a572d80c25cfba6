import { bool, format, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadContainerApi()).containerLs(imageRunEnv(g, env), { all: bool(p, 'all'), quiet: bool(p, 'quiet'), format: format(p) });
