// The log of a detached container, as tsrun-monitor writes it
// (native/monitor/json_log.c): Docker's json-file format, one record per line,
// {"log": "<text>", "stream": "stdout" | "stderr", "time": "<RFC 3339>"}. Pure.

export interface LogRecord {
  stream: 'stdout' | 'stderr';
  log: string;
  time: string;
}

/**
 * The complete records in `text` and what follows the last newline (a record
 * still being written: read it again with what comes next). A line that is
 * not a record (a log of an older tsrun, raw output) counts as stdout.
 */
export function decodeLogRecords(text: string): { records: LogRecord[]; rest: string } {
  const end = text.lastIndexOf('\n');
  const records: LogRecord[] = [];
  if (end < 0) return { records, rest: text };
  for (const line of text.slice(0, end).split('\n')) {
    if (line === '') continue;
    records.push(parseRecord(line));
  }
  return { records, rest: text.slice(end + 1) };
}

function parseRecord(line: string): LogRecord {
  try {
    const r = JSON.parse(line) as Partial<LogRecord>;
    if (typeof r.log === 'string' && (r.stream === 'stdout' || r.stream === 'stderr')) return { stream: r.stream, log: r.log, time: typeof r.time === 'string' ? r.time : '' };
  } catch {
    // not a record
  }
  return { stream: 'stdout', log: `${line}\n`, time: '' };
}
