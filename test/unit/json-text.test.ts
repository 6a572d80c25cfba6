// config.json as text: a byte order mark and duplicate keys are refused with
// the JSON path, whatever JSON.parse would have made of them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBundleConfig } from '../../src/container/config-file';
import { ConfigError } from '../../src/errors';
import { formatFinding, runChecks } from '../../src/validate/checks';
import { jsonTextChecks } from '../../src/validate/json-text';

const findings = (text: string): string[] =>
  runChecks(jsonTextChecks, { text, doc: JSON.parse(text.replace(/^\uFEFF/, '')) }, undefined).errors.map((f) => formatFinding('config.json', f));

describe('jsonTextChecks', () => {
  it('refuses a byte order mark', () => {
    expect(findings('\uFEFF{"ociVersion": "1.3.0"}')).toEqual([
      'config.json: starts with a byte order mark (U+FEFF), which JSON does not allow (runc refuses it too); save it as UTF-8 without a BOM',
    ]);
  });

  it('names every repeated key with its path, at any depth, escapes decoded', () => {
    const text = '{"a":1,"process":{"args":["x"],"env":[{"k":1,"k":2}],"args":["y"]},"\\u0061":3}';
    expect(findings(text)).toEqual([
      'config.json: process.env[0].k: duplicate key "k" in one object: JSON readers disagree on which value wins',
      'config.json: process.args: duplicate key "args" in one object: JSON readers disagree on which value wins',
      'config.json: a: duplicate key "a" in one object: JSON readers disagree on which value wins',
    ]);
  });

  it('does not mistake equal keys in different objects, array values or strings with quotes for duplicates', () => {
    expect(findings('{"a":{"k":1},"b":{"k":1},"c":["k","k"],"d":"x\\":y","e":{"k\\"":1,"k":2}}')).toEqual([]);
    expect(findings('{"a":"x:", "b" : "y" , "c":{}}')).toEqual([]);
  });
});

describe('loadBundleConfig', () => {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-config-file-'));
  afterAll(() => fs.rmSync(bundle, { recursive: true, force: true }));
  const load = (text: string): unknown => {
    fs.writeFileSync(path.join(bundle, 'config.json'), text);
    try {
      return loadBundleConfig(bundle, 'c1');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).message;
    }
  };
  const minimal = { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/' } };

  it('refuses a BOM and duplicate keys before the schema, with the JSON path', () => {
    expect(load(`\uFEFF${JSON.stringify(minimal)}`)).toMatch(/^config\.json: starts with a byte order mark/);
    expect(load(JSON.stringify(minimal).replace('"cwd":"/"', '"cwd":"/","cwd":"/tmp"'))).toBe(
      'config.json: process.cwd: duplicate key "cwd" in one object: JSON readers disagree on which value wins',
    );
  });

  it('reports a syntax error first, and accepts a clean document', () => {
    expect(load('{"a":1,"a":')).toMatch(/^config\.json: invalid JSON at line 1 column 12/);
    expect(load(JSON.stringify(minimal))).toMatchObject({ process: { cwd: '/' } });
  });
});
