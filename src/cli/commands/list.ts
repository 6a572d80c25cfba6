import { list } from '../../container/operations';
import { formatListJson, formatListQuiet, formatListTable } from '../list-format';
import { bool, format, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g, env) => {
  const opts = { format: format(p), quiet: bool(p, 'quiet') };
  const entries = await list(runtimeContext(g), opts);
  if (opts.quiet) env.out(formatListQuiet(entries));
  else env.out(opts.format === 'json' ? formatListJson(entries) : formatListTable(entries));
  return 0;
};
