import { UsageError } from '../../errors';
import { events } from '../../container/operations';
import { parseGoDuration } from '../values';
import { bool, id, nonEmpty, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g) => {
  const intervalMs = parseGoDuration('interval', nonEmpty(p, 'interval') ?? '5s');
  if (!(intervalMs > 0)) throw new UsageError('duration interval must be greater than 0');
  await events(runtimeContext(g), { id: id(p), intervalMs, stats: bool(p, 'stats') });
  return 0;
};
