#!/usr/bin/env node
// Records the git commit for `tsrun --version` in dist/src/build-info.json
// (run after tsc). "-dirty" marks uncommitted changes to tracked files.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
function git(args) {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

let commit = 'unknown';
try {
  commit = git(['rev-parse', 'HEAD']);
  try {
    execFileSync('git', ['diff', '--quiet', 'HEAD', '--'], { cwd: root, stdio: 'ignore' });
  } catch {
    commit += '-dirty';
  }
} catch {
  // not a git checkout (e.g. an npm tarball): keep "unknown"
}
const out = path.join(root, 'dist', 'src', 'build-info.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ commit })}\n`);
