// Every node tsrun starts gets the V8 flags of src/boot/bundle-cache.ts on its
// command line, the build's baseline caches are made under them, and V8
// rejects a code cache made under other flags: bin/tsrun and the shim
// launcher must pass exactly that list.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { V8_FLAGS } from '../../src/boot/bundle-cache';
import { PROJECT_ROOT } from '../helpers';

/** the V8 flags (not node's own --disable-warning) among a launcher's node arguments */
const v8Only = (args: string[]): string[] => args.filter((a) => a.startsWith('--') && !a.startsWith('--disable-warning'));

describe('node flags of the launchers', () => {
  it('bin/tsrun execs node with V8_FLAGS', () => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, 'bin', 'tsrun'), 'utf8');
    const exec = text.split('\n').filter((l) => l.startsWith('exec node '));
    expect(exec).toHaveLength(1);
    const args = (exec[0] as string).split(/\s+/).slice(2);
    expect(v8Only(args.slice(0, args.findIndex((a) => !a.startsWith('--'))))).toEqual(V8_FLAGS);
  });

  it('the shim launcher execs node with V8_FLAGS', () => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, 'native', 'launcher', 'main.c'), 'utf8');
    const body = text.slice(text.indexOf('static void exec_node('), text.indexOf('execvp("node", args);'));
    const literals = [...body.matchAll(/args\[k\+\+\] = "([^"]*)";/g)].map((m) => m[1] as string);
    expect(literals[0]).toBe('node');
    expect(v8Only(literals.slice(1))).toEqual(V8_FLAGS);
  });
});
