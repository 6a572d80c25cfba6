// The probe binary: test/differential/probe.c linked statically, built once
// per source version into the shared test cache (concurrent builders rename
// their result into place atomically).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BUSYBOX_CACHE_DIR } from '../../helpers/bundle';
import { PROBE_SOURCE } from './env';

export function buildProbe(): string {
  const src = fs.readFileSync(PROBE_SOURCE);
  const hash = crypto.createHash('sha256').update(src).digest('hex').slice(0, 16);
  const out = path.join(BUSYBOX_CACHE_DIR, `diff-probe-${hash}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(BUSYBOX_CACHE_DIR, { recursive: true, mode: 0o755 });
  const tmp = `${out}.${process.pid}`;
  try {
    execFileSync('gcc', ['-std=gnu11', '-O1', '-Wall', '-Werror', '-static', PROBE_SOURCE, '-o', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building the differential probe failed (gcc and libc6-dev needed):\n${stderr}`, { cause: e });
  }
  fs.renameSync(tmp, out);
  return out;
}
