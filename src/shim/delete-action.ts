// `containerd-shim-tsrun-v2 ... delete`: containerd runs it in the bundle of
// each container whose shim connection closed, then reads a DeleteResponse
// from stdout (and publishes the exit itself when the task was still live).
// After a normal Delete nothing is left and the launcher answers alone; Node
// runs only when the shim died holding the container.
import * as fs from 'node:fs';
import { native } from '../native';
import { cleanupContainer, cleanupGroup } from './cleanup';
import type { ShimFlags } from './flags';
import { TaskRegistry } from './records';
import { encode } from './proto/codec';
import { DeleteResponse } from './proto/messages';
import { timestamp } from './time';

export async function runDelete(flags: ShimFlags): Promise<number> {
  if (!flags.id) throw new Error('-id is required');
  const bundle = flags.bundle || process.cwd();
  // -socket: the launcher found the group's shim dead (and holds the group
  // lock): clean up all it held, so the other deletes find nothing left
  const done = flags.socket
    ? (await cleanupGroup(native(), new TaskRegistry(flags.socket), flags.namespace, { id: flags.id, bundle }))!
    : await cleanupContainer(native(), { bundle, id: flags.id, namespace: flags.namespace });
  const out = encode(DeleteResponse, { pid: done.pid, exitStatus: done.exitStatus, exitedAt: timestamp(new Date()) });
  fs.writeSync(1, out);
  return 0;
}
