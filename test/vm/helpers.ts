// The test VM's facts, for the vm project (run only there: scripts/vagrant/guest-run.sh sets TSRUN_IN_VM=1).
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
