// tsrun login: the password from --password-stdin, -p, or asked for on a
// terminal (without echo), as docker login does.
import fs from 'node:fs';
import type * as Tty from 'node:tty';
import { UsageError } from '../../errors';
import { log } from '../../log';
import { native } from '../../native';
import { writeAllSync } from '../../write-all';
import { bool, str, type CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

/** Read one line from the terminal on fd 0; without echo when secret. */
function prompt(question: string, secret: boolean): string {
  writeAllSync(2, question);
  const n = native();
  const saved = secret ? n.makeRaw(0) : undefined;
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  try {
    for (;;) {
      let got: number;
      try {
        got = fs.readSync(0, one, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (got === 0) break;
      const c = one[0] as number;
      if (c === 0x0a || c === 0x0d) break;
      if (c === 0x03) throw new UsageError('login: interrupted');
      if (c === 0x7f || c === 0x08) bytes.pop();
      else bytes.push(c);
    }
  } finally {
    if (saved) {
      n.restoreTerminal(0, saved);
      writeAllSync(2, '\n');
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export const handler: CommandHandler = async (p, g, env) => {
  let username = str(p, 'username');
  let password = str(p, 'password');
  if (bool(p, 'password-stdin')) {
    if (password !== undefined) throw new UsageError('login: --password and --password-stdin are mutually exclusive');
    if (!username) throw new UsageError('login: --password-stdin needs --username (-u)');
    password = fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  } else if (password !== undefined) {
    log.warn('login: using --password on the command line is insecure (other users see it in ps); use --password-stdin');
  }
  if (username === undefined || password === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- node:tty at the top would cost every command
    if (!(require('node:tty') as typeof Tty).isatty(0)) throw new UsageError('login: no terminal to ask for credentials: use --username and --password-stdin');
    username ??= prompt('Username: ', false);
    password ??= prompt('Password: ', true);
  }
  if (!username) throw new UsageError('login: a username is required');
  return (await loadImageApi()).loginCommand(imageEnv(g, env), { registry: p.args[0], username, password });
};
