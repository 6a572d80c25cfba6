// ContainerRecords' names (src/container/image-run/records.ts): a name file
// appears with its holder's id in it or not at all, so a tsrun killed while
// taking a name never leaves one held by nobody; rm releases what it held.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerRecords } from '../../src/container/image-run/records';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-records-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const names = () => fs.readdirSync(path.join(dir, 'container-names')).sort();

describe('container names', () => {
  it('a name is taken once, holding the id; a second container gets Docker\'s conflict; rm releases it', () => {
    const records = new ContainerRecords(dir);
    const a = ContainerRecords.newId();
    const b = ContainerRecords.newId();
    records.makeDirs(a);
    expect(records.reserveName('web', a)).toBe('web');
    expect(() => records.reserveName('web', b)).toThrow(`Conflict. The container name "/web" is already in use by container "${a}"`);
    expect(names()).toEqual(['web']);
    expect(fs.readFileSync(path.join(dir, 'container-names', 'web'), 'utf8')).toBe(a);
    const generated = records.reserveName(undefined, a);
    expect(generated).toMatch(/^[a-z]+_[a-z]+\d+$/);
    records.remove({ id: a } as Parameters<ContainerRecords['remove']>[0]);
    expect(names()).toEqual([]);
  });

  it('rm removes the temporary file of a claim that a killed tsrun left, and only its own', () => {
    const records = new ContainerRecords(dir);
    const a = ContainerRecords.newId();
    const b = ContainerRecords.newId();
    records.makeDirs(a);
    records.reserveName('other', b);
    // what a kill between writing the claim and linking it leaves
    fs.writeFileSync(path.join(dir, 'container-names', `.claim-${a}-web`), a);
    fs.writeFileSync(path.join(dir, 'container-names', `.claim-${b}-x`), b);
    records.remove({ id: a } as Parameters<ContainerRecords['remove']>[0]);
    expect(names()).toEqual([`.claim-${b}-x`, 'other']);
    expect(records.reserveName('web', b)).toBe('web');
  });
});
