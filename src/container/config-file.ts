// Reading the bundle's config.json: a missing file, bad JSON, what a strict
// JSON reader refuses (a byte order mark, duplicate keys: validate/json-text)
// or a schema violation becomes a ConfigError that names the file and the
// JSON path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpecValidationError } from '../../oci-spec/errors';
import type { Config } from '../../oci-spec/runtime';
import { parseConfig, parseJsonText } from '../../oci-spec/validate';
import { ConfigError, fromNodeError } from '../errors';
import { jsonTextChecks } from '../validate/json-text';
import { formatFinding, runChecks } from '../validate/checks';

export function loadBundleConfig(bundle: string, containerId?: string): Config {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`JSON specification file config.json not found in bundle ${bundle}`, { containerId, path: file });
    throw fromNodeError('read config.json', err, { containerId, path: file });
  }
  try {
    const doc = parseJsonText(text, 'config.json');
    const { errors } = runChecks(jsonTextChecks, { text, doc }, undefined);
    if (errors.length) {
      throw new ConfigError(errors.map((f) => formatFinding('config.json', f)).join('; '), { containerId, path: file, jsonPath: errors[0]!.path });
    }
    return parseConfig(doc, 'config.json');
  } catch (err) {
    if (err instanceof SpecValidationError) {
      throw new ConfigError(err.message, { containerId, path: file, jsonPath: err.jsonPath, cause: err });
    }
    throw err;
  }
}
