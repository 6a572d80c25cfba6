// The caller's own view (namespaces, session keyring), from the probe run
// directly as a child of this process, as the runtimes are.
import { execFileSync } from 'node:child_process';
import type { HostView } from './normalise';

export function hostView(probe: string): HostView {
  const out = execFileSync(probe, ['--host'], { encoding: 'utf8' });
  const b = out.indexOf('@@probe-begin@@\n');
  const e = out.indexOf('@@probe-end@@');
  const j = JSON.parse(out.slice(b + '@@probe-begin@@\n'.length, e)) as { ns: Record<string, string>; keyring: HostView['keyring']; caps: { bounding: string } };
  return { ns: j.ns, keyring: j.keyring, boundingSet: BigInt(`0x${j.caps.bounding}`) };
}
