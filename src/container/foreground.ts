// What a foreground `run` or `exec` does while its process runs: pass the
// signals tsrun receives on to it, and turn its wait status into tsrun's own.
import type { WaitResult } from '../native';

/** runc's forwarded signals, less SIGCHLD. */
const FORWARDED: NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/**
 * Forward signals to `pid` until the returned function is called. With a
 * terminal relay, SIGWINCH means "resize", which the relay handles itself.
 */
export function forwardSignals(pid: number, opts: { relay: boolean }): () => void {
  const forward = (sig: NodeJS.Signals) => {
    if (opts.relay && sig === 'SIGWINCH') return;
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  return () => {
    for (const s of FORWARDED) process.off(s, forward);
  };
}

/** The exit status runc reports: the code, or 128+signal. */
export function exitStatus(w: WaitResult): number {
  return w.signal !== null ? 128 + w.signal : (w.exitCode ?? 0);
}
