// Logging in runc's shape: logrus level names (debug, info, warning, error), one
// JSON object per line with a Go-parseable RFC 3339 `time`, or logrus text
// (`time="…" level=error msg="…"`). containerd's shim decodes the whole --log
// file and keeps the last `error` record, so every record is written
// synchronously (the process may exit right after) and nothing else ever goes
// into that file. The records are few and small, so they are formatted here
// (in pino's field order: level, time, fields, msg) rather than by a logging
// library, which every tsrun call would have to read and compile.
import fs from 'node:fs';
import { writeAllSync } from './write-all';

export type LogFormat = 'text' | 'json';
type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogFields = Record<string, unknown>;

export interface LogConfig {
  /** append records to this file (created 0644); default: stderr */
  file?: string;
  format: LogFormat;
  debug: boolean;
}

const LEVEL_VALUES: Record<LogLevel, number> = { debug: 20, info: 30, warning: 40, error: 50 };

interface LogSink {
  fd: number;
  /** the fd is our stderr: a fatal error must then not be printed twice */
  isStderr: boolean;
  format: LogFormat;
  minLevel: number;
}

let sink: LogSink = { fd: 2, isStderr: true, format: 'text', minLevel: LEVEL_VALUES.info };

/**
 * Set up where records go. Opens --log now (append/create, 0644) so a bad path
 * fails up front, like runc. Throws the Node error if the file cannot be opened.
 */
export function configureLogging(config: LogConfig): void {
  let fd = 2;
  if (config.file) fd = fs.openSync(config.file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
  if (sink.fd !== 2 && sink.fd !== fd) closeQuietly(sink.fd);
  sink = {
    fd,
    isStderr: fd === 2,
    format: config.format,
    minLevel: config.debug ? LEVEL_VALUES.debug : LEVEL_VALUES.info,
  };
}

/** True when records go to stderr (no --log). */
export function logsToStderr(): boolean {
  return sink.isStderr;
}

function write(level: LogLevel, msg: string, fields?: LogFields): void {
  if (LEVEL_VALUES[level] < sink.minLevel) return;
  const record: LogRecord = { level, time: new Date().toISOString(), msg, fields: fieldValues(fields) };
  writeAllSync(sink.fd, sink.format === 'json' ? formatJson(record) : formatText(record));
}

export const log = {
  debug: (msg: string, fields?: LogFields): void => write('debug', msg, fields),
  info: (msg: string, fields?: LogFields): void => write('info', msg, fields),
  warn: (msg: string, fields?: LogFields): void => write('warning', msg, fields),
  error: (msg: string, fields?: LogFields): void => write('error', msg, fields),
};

/**
 * runc's fatal(): the error becomes the last `error` record (with its cause
 * chain, so a shared log.json carries the root cause), and when records go to a
 * file the bare message is also printed on stderr for callers that only read
 * stderr (conmon/podman). Without --log the record itself is the one stderr line.
 */
export function reportFatal(err: unknown): void {
  const msg = errorChainMessage(err);
  let logged = true;
  try {
    write('error', msg);
  } catch {
    logged = false; // logging must never hide the error itself
  }
  if (!sink.isStderr || !logged) writeAllSync(2, `${msg}\n`);
}

/**
 * "outer: inner: root" — append each cause's message unless the message already
 * carries it (fromNodeError() embeds the cause's errno and path).
 */
export function errorChainMessage(err: unknown): string {
  let msg = messageOf(err);
  const seen = new Set<unknown>([err]);
  let cause = (err as { cause?: unknown } | null)?.cause;
  while (cause !== undefined && cause !== null && !seen.has(cause)) {
    seen.add(cause);
    const causeMsg = messageOf(cause);
    if (causeMsg && !msg.includes(causeMsg) && !describesErrno(msg, cause)) msg = `${msg}: ${causeMsg}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return msg;
}

/** A Node system error whose errno the message already names (SyscallError wraps them). */
function describesErrno(msg: string, cause: unknown): boolean {
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' && typeof (cause as { syscall?: unknown }).syscall === 'string' && msg.includes(code);
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface LogRecord {
  level: LogLevel;
  /** millisecond RFC 3339 in UTC; Go's time.Parse(RFC3339) accepts the fraction */
  time: string;
  msg: string;
  /** the caller's fields, in its order */
  fields: [string, unknown][];
}

/** The record's own keys; a field of that name would shadow them. */
const RECORD_KEYS = new Set(['level', 'time', 'msg']);

/** The fields a record shows: undefined and functions left out, as JSON.stringify does with properties. */
function fieldValues(fields: LogFields | undefined): [string, unknown][] {
  if (!fields) return [];
  return Object.entries(fields).filter(([key, value]) => value !== undefined && typeof value !== 'function' && !RECORD_KEYS.has(key));
}

/** JSON text of a field's value; non-finite numbers become null, as in JSON.stringify. */
function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"[unable to serialize]"'; // a cycle or a BigInt: the record itself must still be written
  }
}

/** One JSON object per line: level, time, the fields, msg. */
export function formatJson(r: LogRecord): string {
  let line = `{"level":"${r.level}","time":"${r.time}"`;
  for (const [key, value] of r.fields) line += `,${JSON.stringify(key)}:${jsonText(value)}`;
  return `${line},"msg":${JSON.stringify(r.msg)}}\n`;
}

/**
 * logrus text style: time, level, msg, then the fields sorted by key; values
 * quoted (Go %q style) when they contain anything beyond a safe set.
 */
export function formatText(r: LogRecord): string {
  let line = `time=${quoteValue(r.time)} level=${r.level} msg=${quoteValue(r.msg)}`;
  for (const [key, value] of [...r.fields].sort(([a], [b]) => (a < b ? -1 : 1))) {
    line += ` ${key}=${quoteValue(typeof value === 'string' ? value : jsonText(value))}`;
  }
  return `${line}\n`;
}

export function quoteValue(v: string): string {
  // logrus needsQuoting: quote anything outside [A-Za-z0-9-._/@^+] (so the time is always quoted)
  if (v.length > 0 && /^[A-Za-z0-9\-._/@^+]+$/.test(v)) return v;
  return JSON.stringify(v);
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}
