// The test VM's facts, for the vm project (run only there: scripts/vagrant/guest-run.sh sets TSRUN_IN_VM=1).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export const inVm = process.env.TSRUN_IN_VM === '1';
export const read = (p: string): string => fs.readFileSync(p, 'utf8');

/** mountinfo lines as [mount point, fs type] */
export function mounts(): Array<[string, string]> {
  return read('/proc/self/mountinfo')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [left, right] = l.split(' - ');
      return [left!.split(' ')[4]!, right!.split(' ')[0]!];
    });
}

/** `systemctl show` of a unit: the named properties. */
export function unitProps(unit: string, names: readonly string[]): Record<string, string> {
  const out = execFileSync('systemctl', ['show', '--property', names.join(','), unit], { encoding: 'utf8' });
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
