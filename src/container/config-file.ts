// Reading the bundle's config.json: a missing file, bad JSON or a schema
// violation becomes a ConfigError that names the file and the JSON path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, parseJsonText, SpecValidationError, type Config } from '../../oci-spec';
import { ConfigError, fromNodeError } from '../errors';

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
    return parseConfig(parseJsonText(text, 'config.json'), 'config.json');
  } catch (err) {
    if (err instanceof SpecValidationError) {
      throw new ConfigError(err.message, { containerId, path: file, jsonPath: err.jsonPath, cause: err });
    }
    throw err;
  }
}
