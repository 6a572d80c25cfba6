import { describe, expect, it } from 'vitest';
import { main, type MainEnv } from '../../src/cli/main';

function env(): MainEnv & { text: () => string } {
  let buf = '';
  return { cwd: '/tmp', euid: 0, out: (t) => (buf += t), text: () => buf };
}

describe('tsrun main (in-process)', () => {
  it('--version prints the four lines go-runc and humans read', async () => {
    const e = env();
    expect(await main(['--version'], e)).toBe(0);
    const lines = e.text().trimEnd().split('\n');
    expect(lines[0]).toBe('tsrun version 0.1.0');
    expect(lines[1]).toMatch(/^commit: \S+$/);
    expect(lines[2]).toBe('spec: 1.3.0');
    expect(lines[3]).toBe(`node: ${process.version}`);
  });

  it('--help lists the commands and the global flags', async () => {
    const e = env();
    expect(await main(['--help'], e)).toBe(0);
    for (const word of ['create', 'exec', 'features', '--root', '--log-format', '--systemd-cgroup']) expect(e.text()).toContain(word);
  });

  it('<command> --help and help <command> show that command\'s flags', async () => {
    const a = env();
    expect(await main(['exec', '--help'], a)).toBe(0);
    expect(a.text()).toContain('--console-socket');
    expect(a.text()).toContain('--pid-file');
    const b = env();
    expect(await main(['help', 'kill'], b)).toBe(0);
    expect(b.text()).toContain('tsrun kill');
  });

  it('usage errors exit 1 without touching stdout', async () => {
    for (const argv of [['state'], ['state', '--bogus', 'x'], ['--bogus', 'list'], ['nosuchcommand'], ['kill', 'x', 'FOO']]) {
      const e = env();
      expect(await main(argv, e), argv.join(' ')).toBe(1);
      expect(e.text()).toBe('');
    }
  });

  it('refuses --systemd-cgroup where cgroups are made, naming the flag', async () => {
    const e = env();
    expect(await main(['--systemd-cgroup', '--root', '/tmp/tsrun-test-none', 'create', 'c1'], e)).toBe(1);
  });

  it('a failed exec exits 255 (runc fatalWithCode)', async () => {
    const e = env();
    expect(await main(['--root', '/tmp/tsrun-test-none', 'exec', 'c1', 'true'], e)).toBe(255);
    expect(await main(['--root', '/tmp/tsrun-test-none', 'exec', 'c1'], e)).toBe(255);
  });
});
