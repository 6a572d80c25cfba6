// The caller's own view (namespaces, session keyring), from the probe run
// directly as a child of this process, as the runtimes are.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { SYSCTLS } from './generator';
import type { HostView } from './normalise';

export function hostView(probe: string): HostView {
  const out = execFileSync(probe, ['--host'], { encoding: 'utf8' });
  const b = out.indexOf('@@probe-begin@@\n');
  const e = out.indexOf('@@probe-end@@');
  const j = JSON.parse(out.slice(b + '@@probe-begin@@\n'.length, e)) as { ns: Record<string, string>; keyring: HostView['keyring']; caps: { bounding: string } };
  return { ns: j.ns, keyring: j.keyring, boundingSet: BigInt(`0x${j.caps.bounding}`) };
}

/**
 * What a generated config could change on the machine if a runtime ran in its
 * namespaces: the hostname, the domainname and every sysctl the generator
 * sets (a missing key reads as null). Compared before and after a suite.
 */
export function machineSettings(): Record<string, string | null> {
  const keys = ['kernel.hostname', 'kernel.domainname', ...SYSCTLS.map(([k]) => k.replaceAll('/', '.'))];
  return Object.fromEntries(
    keys.map((k) => {
      try {
        return [k, fs.readFileSync(`/proc/sys/${k.replaceAll('.', '/')}`, 'utf8').trim()];
      } catch {
        return [k, null];
      }
    }),
  );
}
