// What tsrun adds to the caller's network namespace beside the CNI plugins:
// Docker's isolation between bridge networks (a container of one network
// cannot reach another network's bridge), and the way out closed for
// --internal networks. Two chains, as Docker's DOCKER-ISOLATION-STAGE-1/2:
//   TSRUN-ISOLATION-1:  -i BR ! -o BR -j TSRUN-ISOLATION-2   (internal: -j DROP, and ! -i BR -o BR -j DROP)
//   TSRUN-ISOLATION-2:  -o BR -j DROP
// jumped to first from FORWARD (before the firewall plugin's CNI-FORWARD).
import { spawnSync } from 'node:child_process';
import type { NetworkSpec } from './conflist';
import { NetworkError } from './errors';

const STAGE1 = 'TSRUN-ISOLATION-1';
const STAGE2 = 'TSRUN-ISOLATION-2';

function iptables(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('iptables', ['-w', '-t', 'filter', ...args], { encoding: 'utf8' });
  if (r.error) throw new NetworkError(`iptables ${args.join(' ')}: ${r.error.message}`, { cause: r.error });
  return { ok: r.status === 0, err: r.stderr.trim() };
}

function must(args: string[]): void {
  const r = iptables(args);
  if (!r.ok) throw new NetworkError(`iptables ${args.join(' ')}: ${r.err}`);
}

function ruleSpecs(s: NetworkSpec): Array<[string, string[]]> {
  const br = s.bridge;
  if (s.internal) {
    return [
      [STAGE1, ['-i', br, '!', '-o', br, '-j', 'DROP']],
      [STAGE1, ['!', '-i', br, '-o', br, '-j', 'DROP']],
    ];
  }
  return [
    [STAGE1, ['-i', br, '!', '-o', br, '-j', STAGE2]],
    [STAGE2, ['-o', br, '-j', 'DROP']],
  ];
}

/** The filter table as `iptables -S` prints it, one rule or chain per line. */
function filterRules(): string[] {
  const r = spawnSync('iptables', ['-w', '-t', 'filter', '-S'], { encoding: 'utf8' });
  if (r.error) throw new NetworkError(`iptables -S: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) throw new NetworkError(`iptables -S: ${r.stderr.trim()}`);
  return r.stdout.split('\n');
}

/**
 * Idempotent: the chains, this network's rules, and the jump at the top of
 * FORWARD. Read from one listing of the table: each attach would otherwise
 * spend seven iptables calls (each takes the xtables lock and reads the
 * table) where the network's second container needs none, or two.
 */
export function ensureIsolation(s: NetworkSpec): void {
  const lines = filterRules();
  const rules = new Set(lines);
  for (const chain of [STAGE2, STAGE1]) if (!rules.has(`-N ${chain}`)) must(['-N', chain]);
  for (const [chain, rule] of ruleSpecs(s)) {
    // not in the listing's words (another iptables may spell it otherwise): -C decides
    if (rules.has(`-A ${chain} ${rule.join(' ')}`)) continue;
    if (!iptables(['-C', chain, ...rule]).ok) must(['-A', chain, ...rule]);
  }
  // the firewall plugin inserts its own jump first at each ADD; ours goes back above it
  const jump = `-A FORWARD -j ${STAGE1}`;
  const forward = lines.filter((l) => l.startsWith('-A FORWARD '));
  if (forward[0] === jump && forward.filter((l) => l === jump).length === 1) return;
  while (iptables(['-D', 'FORWARD', '-j', STAGE1]).ok);
  must(['-I', 'FORWARD', '1', '-j', STAGE1]);
}

/** At network rm: its rules and its bridge device, when present. */
export function removeNetworkHostParts(s: NetworkSpec): void {
  for (const [chain, rule] of ruleSpecs(s)) while (iptables(['-D', chain, ...rule]).ok);
  const r = spawnSync('ip', ['link', 'delete', s.bridge, 'type', 'bridge'], { encoding: 'utf8' });
  if (r.error) throw new NetworkError(`ip link delete ${s.bridge}: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) throw new NetworkError(`ip link delete ${s.bridge}: ${r.stderr.trim()}`);
}
