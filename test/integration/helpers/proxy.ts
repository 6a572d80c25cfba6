// An HTTP proxy in front of a test registry, on 127.0.0.1: it forwards
// requests and can, per request, delay them, redirect them, cut the
// connection part way through the body, or send the body slowly. It records
// every request (method, path, headers, bytes of body sent).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface ProxiedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  status?: number;
  /** body bytes sent to the client */
  sent: number;
}

type ProxyAction =
  | { kind: 'forward' }
  | { kind: 'delay'; ms: number }
  | { kind: 'redirect'; location: string }
  /** answer with this status (and an empty body) instead of forwarding */
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** forward, but destroy the connection after this many body bytes */
  | { kind: 'cut'; afterBytes: number }
  /** forward this many body bytes, then send nothing more and keep the connection open */
  | { kind: 'stall'; afterBytes: number }
  /** forward the body in chunks of `bytes` every `everyMs` */
  | { kind: 'throttle'; bytes: number; everyMs: number };

export interface Proxy {
  origin: string;
  host: string;
  requests: ProxiedRequest[];
  setRule(rule: (req: http.IncomingMessage) => ProxyAction): void;
  stop(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const requests: ProxiedRequest[] = [];
  let rule: (req: http.IncomingMessage) => ProxyAction = () => ({ kind: 'forward' });
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const rec: ProxiedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, sent: 0 };
    requests.push(rec);
    const action = rule(req);
    if (action.kind === 'status') {
      rec.status = action.status;
      res.writeHead(action.status, { 'content-length': '0', ...(action.headers ?? {}) });
      res.end();
      return;
    }
    if (action.kind === 'redirect') {
      rec.status = 307;
      res.writeHead(307, { location: action.location, 'content-length': '0' });
      res.end();
      return;
    }
    const forward = (): void => {
      const up = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (ur) => {
        rec.status = ur.statusCode;
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (action.kind === 'cut' || action.kind === 'stall') {
          ur.on('data', (c: Buffer) => {
            const room = action.afterBytes - rec.sent;
            if (room <= 0) return;
            const part = c.subarray(0, room);
            rec.sent += part.length;
            res.write(part);
            if (rec.sent >= action.afterBytes) {
              ur.destroy();
              // let the bytes out, then break the connection (or just go quiet)
              if (action.kind === 'cut') setTimeout(() => res.socket?.destroy(), 50);
            }
          });
          return;
        }
        if (action.kind === 'throttle') {
          ur.pause();
          let buffered = Buffer.alloc(0);
          let ended = false;
          ur.on('data', (c: Buffer) => (buffered = Buffer.concat([buffered, c])));
          ur.on('end', () => (ended = true));
          ur.resume();
          const timer = setInterval(() => {
            if (res.destroyed) return clearInterval(timer);
            const part = buffered.subarray(0, action.bytes);
            buffered = buffered.subarray(part.length);
            if (part.length) {
              rec.sent += part.length;
              res.write(part);
            }
            if (ended && buffered.length === 0) {
              clearInterval(timer);
              res.end();
            }
          }, action.everyMs);
          res.on('close', () => clearInterval(timer));
          return;
        }
        ur.on('data', (c: Buffer) => (rec.sent += c.length));
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (action.kind === 'delay') setTimeout(forward, action.ms);
    else forward();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    setRule: (r) => (rule = r),
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
