import { bool, type CommandHandler } from './common';
import { createRequest, imageRunEnv, loadContainerApi } from './container-common';

/** Exits with the container's status in the foreground (docker run). */
export const handler: CommandHandler = async (p, g, env) =>
  (await loadContainerApi()).containerRun(imageRunEnv(g, env), { ...(await createRequest(p, env)), detach: bool(p, 'detach') });
