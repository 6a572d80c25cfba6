// Integration tests drive the built CLI, so compile and bundle the current
// sources once before they run (and build the addon if it is missing).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(__dirname, '..', '..');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (!fs.existsSync(path.join(root, 'native', 'build', 'Release', 'tsrun.node'))) {
    execFileSync('npm', ['run', '--silent', 'build:native'], { cwd: root, stdio: 'inherit', env });
  }
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'write-build-info.js')], { cwd: root, stdio: 'inherit', env });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.js')], { cwd: root, stdio: 'inherit', env });
}
