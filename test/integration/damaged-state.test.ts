// Damaged state (issue 10; docs/reliability.md): state.json truncated, empty,
// garbage, of the wrong types, a directory, removed, or the whole state dir
// removed while the init runs — for a created and for a running container.
// Every other command refuses clearly; `list` keeps working and marks the
// entry; `delete --force` says what it found damaged, kills the init and
// everything in the container's cgroups, removes the cgroups and the state
// dir, and the id can be created again.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerLab, containerLeftovers, isAlive, type Bundle } from '../helpers';

const lab = containerLab('damaged');

interface Damage {
  name: string;
  /** damage the container's state dir */
  apply(dir: string): void;
  /** what delete --force says (a substring of its warning) */
  says: RegExp;
  /** what `list` shows in STATUS; undefined: the entry is gone from the list */
  listed?: RegExp;
  /** what `state` says */
  state: RegExp;
}

const stateFile = (dir: string) => path.join(dir, 'state.json');

const damages: Damage[] = [
  {
    name: 'truncated',
    apply: (dir) => fs.writeFileSync(stateFile(dir), fs.readFileSync(stateFile(dir), 'utf8').slice(0, 300)),
    says: /state\.json is not valid JSON \(invalid JSON at line 1 column \d+: .*\); cleaning up from the create journal/,
    listed: /(created|running)\(damaged\)/,
    state: /container state is damaged: state\.json is not valid JSON/,
  },
  {
    name: 'empty',
    apply: (dir) => fs.writeFileSync(stateFile(dir), ''),
    says: /state\.json is empty; cleaning up from the create journal/,
    listed: /(created|running)\(damaged\)/,
    state: /container state is damaged: state\.json is empty/,
  },
  {
    name: 'garbage',
    apply: (dir) => fs.writeFileSync(stateFile(dir), Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x13, 0x37, 0x22, 0x0a])),
    says: /state\.json is not valid JSON .*; cleaning up from the create journal/,
    listed: /(created|running)\(damaged\)/,
    state: /container state is damaged: state\.json is not valid JSON/,
  },
  {
    name: 'of the wrong types (the init pid a string, the cgroup paths a number)',
    apply: (dir) => {
      const s = JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(stateFile(dir), JSON.stringify({ ...s, initPid: String(s.initPid), cgroup: 5 }));
    },
    says: /state\.json: initPid is \\?"\d+\\?", expected a pid; cleaning up from the create journal/,
    listed: /(created|running)\(damaged\)/,
    state: /container state is damaged: state\.json: initPid is \\?"\d+\\?", expected a pid/,
  },
  {
    name: 'unsound but with its cgroup paths intact',
    apply: (dir) => {
      const s = JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(stateFile(dir), JSON.stringify({ ...s, bundle: 42 }));
      fs.rmSync(path.join(dir, 'journal.json'));
    },
    says: /state\.json: bundle is number 42, expected a path; there is no journal\.json; cleaning up from the cgroup paths state\.json still holds/,
    listed: /stopped\(damaged\)/, // no journal: nothing says which init it was
    state: /container state is damaged: state\.json: bundle is number 42/,
  },
  {
    name: 'a directory in place of state.json',
    apply: (dir) => {
      fs.rmSync(stateFile(dir));
      fs.mkdirSync(stateFile(dir));
      fs.writeFileSync(path.join(stateFile(dir), 'x'), 'x');
    },
    says: /state\.json is a directory, not a file; cleaning up from the create journal/,
    listed: /(created|running)\(damaged\)/,
    state: /container state is damaged: state\.json is a directory, not a file/,
  },
  {
    name: 'state.json removed',
    apply: (dir) => fs.rmSync(stateFile(dir)),
    says: /state\.json is missing .*; cleaning up from the create journal/,
    listed: /(created|running)\(damaged\)/,
    state: /container does not exist/,
  },
  {
    name: 'state.json garbage and the journal removed',
    apply: (dir) => {
      fs.writeFileSync(stateFile(dir), 'garbage');
      fs.rmSync(path.join(dir, 'journal.json'));
    },
    says: /state\.json is not valid JSON .*; there is no journal\.json; cleaning up from the default cgroup path \(\/sys\/fs\/cgroup\//,
    listed: /stopped\(damaged\)/,
    state: /container state is damaged/,
  },
  {
    name: 'the whole state dir removed while the init runs',
    apply: (dir) => fs.rmSync(dir, { recursive: true }),
    says: /has no state directory, but its default cgroup \/sys\/fs\/cgroup\/\S+ exists with \d+ process\(es\): killing them and removing the cgroup/,
    state: /container does not exist/,
  },
];

describe.each(['created', 'running'] as const)('a %s container whose state is damaged', (phase) => {
  let bundle: Bundle;
  const sleeper = (): Bundle => (bundle ??= lab.bundle((spec) => void (spec.process.args = ['sleep', '600'])));

  it.each(damages)('$name: delete --force repairs and says so; list keeps working', async (d) => {
    const id = lab.id('damaged');
    const b = sleeper();
    const created = await lab.create(b, id);
    expect(created.code, created.stderr).toBe(0);
    if (phase === 'running') expect((await lab.cli(['start', id])).code).toBe(0);
    const pid = (await lab.state(id)).pid;
    expect(isAlive(pid)).toBe(true);
    d.apply(path.join(lab.root, id));

    const state = await lab.cli(['state', id]);
    expect(state.code).toBe(1);
    expect(state.stderr).toMatch(d.state);
    for (const format of ['table', 'json']) {
      const list = await lab.cli(['list', '--format', format]);
      expect(list.code, list.stderr).toBe(0);
      if (format === 'json') {
        const entry = (JSON.parse(list.stdout) as Array<{ id: string; damage?: string; pid: number }>).find((e) => e.id === id);
        if (d.listed) expect(entry?.damage).toBeTruthy();
        else expect(entry).toBeUndefined();
      } else {
        const row = list.stdout.split('\n').find((l) => l.startsWith(`${id} `));
        if (d.listed) expect(row).toMatch(d.listed);
        else expect(row).toBeUndefined();
      }
    }
    // other commands refuse rather than guess
    expect((await lab.cli(['kill', id, 'KILL'])).code).toBe(1);
    expect(isAlive(pid)).toBe(true);

    const del = await lab.forceDelete(id);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stderr).toMatch(d.says);
    expect(await containerLeftovers(id, lab.root, [b.dir])).toEqual([]);
    expect(isAlive(pid)).toBe(false);
    // nothing stale stands in the way of the same id
    const again = await lab.create(b, id);
    expect(again.code, again.stderr).toBe(0);
    const clean = await lab.forceDelete(id);
    expect({ code: clean.code, stderr: clean.stderr }).toEqual({ code: 0, stderr: '' });
  });
});
