import { kill } from '../../container/operations';
import { parseSignal } from '../values';
import { bool, id, runtimeContext, type CommandHandler } from './common';

/** kill [--all] <id> [signal]; the signal defaults to SIGTERM. */
export const handler: CommandHandler = async (p, g) => {
  const raw = p.args[1];
  const signal = parseSignal(raw === undefined || raw === '' ? 'SIGTERM' : raw);
  await kill(runtimeContext(g), { id: id(p), signal, all: bool(p, 'all') });
  return 0;
};
