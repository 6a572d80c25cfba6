// containerd-shim-tsrun-v2's Node side (run through ./entry.ts). The C
// launcher (native/launcher) answers `start` and execs this for the rest:
//   -namespace NS -address A -publish-binary P -id ID -socket S daemon
//       the long-lived shim of one group, serving ttrpc on fd 3;
//   -namespace NS -address A -publish-binary P -id ID [-bundle B] delete
//       containerd's cleanup after the shim died: prints a DeleteResponse;
//   -v  the version.
import { reportFatal } from '../log';
import { buildCommit, TSRUN_VERSION } from '../version';
import { parseFlags, type ShimFlags } from './flags';

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
