// containerd-shim-tsrun-v2's Node side (run through ./entry.ts). The C
// launcher (native/launcher) answers `start` and execs this for the rest:
//   -namespace NS -address A -publish-binary P -id ID -socket S daemon
//       the long-lived shim of one group, serving ttrpc on fd 3;
//   -namespace NS -address A -publish-binary P -id ID [-bundle B] delete
//       containerd's cleanup after the shim died: prints a DeleteResponse;
//   -v  the version.
// Flags follow Go's flag package, as containerd writes them.
import { reportFatal } from '../log';
import { TSRUN_VERSION, buildCommit } from '../cli/version';

export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  socket: string;
  debug: boolean;
  version: boolean;
  action: string;
}

const STRING_FLAGS: Record<string, keyof ShimFlags> = {
  namespace: 'namespace',
  address: 'address',
  'publish-binary': 'publishBinary',
  id: 'id',
  bundle: 'bundle',
  socket: 'socket',
};

export class FlagError extends Error {}

export function parseFlags(argv: readonly string[]): ShimFlags {
  const f: ShimFlags = { namespace: '', address: '', publishBinary: 'containerd', id: '', bundle: '', socket: '', debug: false, version: false, action: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      f.action = a;
      break;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'debug' || name === 'v') {
      if (eq >= 0 && !/^(true|false|1|0)$/.test(body.slice(eq + 1))) throw new FlagError(`invalid boolean value for -${name}`);
      f[name === 'v' ? 'version' : 'debug'] = eq < 0 || /^(true|1)$/.test(body.slice(eq + 1));
      continue;
    }
    const key = STRING_FLAGS[name];
    if (!key) throw new FlagError(`flag provided but not defined: -${name}`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i]!;
    else throw new FlagError(`flag needs an argument: -${name}`);
    (f as unknown as Record<string, string>)[key] = value;
  }
  return f;
}

export async function main(argv: readonly string[]): Promise<number> {
  let flags: ShimFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`containerd-shim-tsrun-v2: ${(err as Error).message}\n`);
    return 2;
  }
  if (flags.version) {
    process.stdout.write(`containerd-shim-tsrun-v2:\n  Version:  ${TSRUN_VERSION}\n  Revision: ${buildCommit()}\n  Node:     ${process.version}\n\n`);
    return 0;
  }
  if (!flags.namespace) {
    process.stderr.write('containerd-shim-tsrun-v2: shim namespace cannot be empty\n');
    return 1;
  }
  try {
    switch (flags.action) {
      case 'daemon':
        return await (await import('./daemon')).runDaemon(flags);
      case 'delete':
        return await (await import('./delete-action')).runDelete(flags);
      default:
        process.stderr.write(`containerd-shim-tsrun-v2: unknown action ${JSON.stringify(flags.action)} (start is answered by the launcher)\n`);
        return 1;
    }
  } catch (err) {
    reportFatal(err);
    return 1;
  }
}
