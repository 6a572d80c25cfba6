import { UsageError } from '../../errors';
import { bool, str, type CommandHandler } from './common';
import { loadNetworkApi, networkEnv } from './network-common';

export const handler: CommandHandler = async (p, g, env) => {
  const driver = str(p, 'driver');
  if (driver !== undefined && driver !== 'bridge') throw new UsageError(`--driver ${driver}: only the bridge driver is supported`);
  const subnet = str(p, 'subnet');
  const gateway = str(p, 'gateway');
  return (await loadNetworkApi()).createCommand(networkEnv(g, env), {
    name: p.args[0] as string,
    ...(subnet !== undefined ? { subnet } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    internal: bool(p, 'internal'),
  });
};
