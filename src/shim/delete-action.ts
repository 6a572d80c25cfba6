// `containerd-shim-tsrun-v2 ... delete`: containerd runs it in the bundle of
// each container whose shim connection dropped (the shim died), then reads a
// DeleteResponse from stdout and publishes the exit itself.
import * as fs from 'node:fs';
import { native } from '../native';
import { cleanupContainer } from './cleanup';
import type { ShimFlags } from './main';
import { encode } from './proto/codec';
import { DeleteResponse } from './proto/messages';
import { timestamp } from './time';

export async function runDelete(flags: ShimFlags): Promise<number> {
  const bundle = flags.bundle || process.cwd();
  const done = await cleanupContainer(native(), { bundle, id: flags.id, namespace: flags.namespace });
  const out = encode(DeleteResponse, { pid: done.pid, exitStatus: done.exitStatus, exitedAt: timestamp(new Date()) });
  fs.writeSync(1, out);
  return 0;
}
