// Pull progress, as `docker pull` shows it: a line per layer with its state
// (Waiting, Downloading, Verifying Checksum, Download complete, Extracting,
// Pull complete, Already exists) and, on a terminal, a bar redrawn in place;
// in a pipe, plain lines per state change; --progress=json one JSON object per
// line (Docker's JSON message shape); --quiet only the final digest.
import { UsageError } from '../errors';

export type LayerStatus =
  | 'Waiting'
  | 'Downloading'
  | 'Verifying Checksum'
  | 'Download complete'
  | 'Extracting'
  | 'Pull complete'
  | 'Already exists';

type PullEvent =
  /** "<tag>: Pulling from <repository>" */
  | { type: 'start'; tagOrDigest: string; repository: string }
  | { type: 'layer'; id: string; status: LayerStatus; current?: number; total?: number }
  | { type: 'done'; digest: string; name: string; fullName: string; upToDate: boolean };

export interface ProgressSink {
  event(e: PullEvent): void;
  /** flush what is pending (the pull ended, or failed) */
  close(): void;
}

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

/** Sizes as Docker prints them (decimal units, 3 significant digits): "1.23MB", "512kB", "12B". */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : Number(v.toPrecision(3))}${units[u]}`;
}

const BAR_WIDTH = 50;

function bar(current: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH)) : 0;
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(BAR_WIDTH - filled)}]`;
}

function finalLines(e: Extract<PullEvent, { type: 'done' }>): string[] {
  return [`Digest: ${e.digest}`, `Status: ${e.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${e.name}`, e.fullName];
}

interface LayerLine {
  id: string;
  status: LayerStatus;
  current?: number;
  total?: number;
}

function layerText(l: LayerLine, withBar: boolean): string {
  const showBar = withBar && (l.status === 'Downloading' || l.status === 'Extracting') && l.total !== undefined && l.current !== undefined;
  return showBar ? `${l.id}: ${l.status} ${bar(l.current as number, l.total as number)}  ${humanSize(l.current as number)}/${humanSize(l.total as number)}` : `${l.id}: ${l.status}`;
}

/** A terminal: one line per layer, redrawn in place (at most every 100 ms). */
class TtyProgress implements ProgressSink {
  private lines: LayerLine[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly write: (s: string) => void,
    private readonly columns: () => number,
  ) {}

  event(e: PullEvent): void {
    if (e.type === 'start') {
      this.write(`${e.tagOrDigest}: Pulling from ${e.repository}\n`);
      return;
    }
    if (e.type === 'done') {
      this.render();
      this.write(finalLines(e).map((l) => `${l}\n`).join(''));
      return;
    }
    let line = this.lines.find((l) => l.id === e.id);
    if (!line) {
      line = { id: e.id, status: e.status };
      this.lines.push(line);
    }
    const changed = line.status !== e.status;
    line.status = e.status;
    line.current = e.current;
    line.total = e.total;
    this.dirty = true;
    if (changed || !this.timer) this.render();
  }

  private render(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const width = Math.max(20, this.columns() - 1);
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of this.lines) out += `\x1b[2K${layerText(l, true).slice(0, width)}\n`;
    this.drawn = this.lines.length;
    this.write(out);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.render();
      }, 100);
      this.timer.unref();
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.render();
  }
}

/** A pipe or a file: a plain line for each change of a layer's state. */
class PlainProgress implements ProgressSink {
  private last = new Map<string, LayerStatus>();
  constructor(private readonly write: (s: string) => void) {}

  event(e: PullEvent): void {
    if (e.type === 'start') this.write(`${e.tagOrDigest}: Pulling from ${e.repository}\n`);
    else if (e.type === 'done') this.write(finalLines(e).map((l) => `${l}\n`).join(''));
    else if (this.last.get(e.id) !== e.status) {
      this.last.set(e.id, e.status);
      this.write(`${layerText(e, false)}\n`);
    }
  }

  close(): void {}
}

/** One JSON object per line, in the shape of Docker's API messages. */
class JsonProgress implements ProgressSink {
  private lastEmit = new Map<string, { status: LayerStatus; at: number }>();
  constructor(private readonly write: (s: string) => void) {}

  event(e: PullEvent): void {
    if (e.type === 'start') {
      this.write(`${JSON.stringify({ status: `Pulling from ${e.repository}`, id: e.tagOrDigest })}\n`);
      return;
    }
    if (e.type === 'done') {
      this.write(`${JSON.stringify({ status: `Digest: ${e.digest}` })}\n`);
      this.write(`${JSON.stringify({ status: `Status: ${e.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${e.name}`, digest: e.digest, ref: e.fullName })}\n`);
      return;
    }
    const prev = this.lastEmit.get(e.id);
    const now = Date.now();
    // progress of the same state at most every 100 ms; every change of state
    if (prev && prev.status === e.status && now - prev.at < 100 && e.current !== e.total) return;
    this.lastEmit.set(e.id, { status: e.status, at: now });
    const msg: Record<string, unknown> = { status: e.status, id: e.id };
    if (e.current !== undefined || e.total !== undefined) msg.progressDetail = { current: e.current, total: e.total };
    this.write(`${JSON.stringify(msg)}\n`);
  }

  close(): void {}
}

class QuietProgress implements ProgressSink {
  constructor(private readonly write: (s: string) => void) {}
  event(e: PullEvent): void {
    if (e.type === 'done') this.write(`${e.digest}\n`);
  }
  close(): void {}
}

export function progressSink(mode: ProgressMode, write: (s: string) => void, columns: () => number = () => 80): ProgressSink {
  switch (mode) {
    case 'tty':
      return new TtyProgress(write, columns);
    case 'plain':
      return new PlainProgress(write);
    case 'json':
      return new JsonProgress(write);
    case 'quiet':
      return new QuietProgress(write);
  }
}

/** --progress auto|plain|json|tty and --quiet to a mode; auto is tty on a terminal (not TERM=dumb). */
export function progressMode(flag: string | undefined, quiet: boolean, isTty: boolean, term: string | undefined): ProgressMode {
  if (quiet) return 'quiet';
  switch (flag ?? 'auto') {
    case 'auto':
      return isTty && term !== 'dumb' ? 'tty' : 'plain';
    case 'plain':
      return 'plain';
    case 'json':
      return 'json';
    case 'tty':
      return 'tty';
    default:
      throw new UsageError(`--progress: expected auto, plain, tty or json, got ${JSON.stringify(flag)}`);
  }
}
