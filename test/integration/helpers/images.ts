// Running the image commands of the built CLI against a test's own image
// root and registries config.
import fs from 'node:fs';
import path from 'node:path';
import { tsrun, tsrunSpawn, type TsrunOptions, type TsrunResult, type TsrunProcess } from '../../helpers';

export interface ImageCli {
  root: string;
  configFile: string;
  /** rewrite registries.json */
  setConfig(doc: unknown): void;
  run(args: readonly string[], opts?: TsrunOptions): Promise<TsrunResult>;
  spawn(args: readonly string[], opts?: TsrunOptions): TsrunProcess;
}

export function imageCli(dir: string, env: Record<string, string | undefined> = {}): ImageCli {
  const root = path.join(dir, 'image-root');
  const configFile = path.join(dir, 'etc', 'registries.json');
  fs.mkdirSync(path.dirname(configFile), { recursive: true });
  const globals = (): string[] => ['--image-root', root, '--registries-config', configFile];
  const withEnv = (opts: TsrunOptions = {}): TsrunOptions => ({
    timeout: 120_000,
    ...opts,
    env: { DOCKER_CONFIG: path.join(dir, 'docker'), ...env, ...(opts.env ?? {}) },
  });
  return {
    root,
    configFile,
    setConfig: (doc) => fs.writeFileSync(configFile, JSON.stringify(doc, null, 2)),
    run: (args, opts) => tsrun([...globals(), ...args], withEnv(opts)),
    spawn: (args, opts) => tsrunSpawn([...globals(), ...args], withEnv(opts)),
  };
}

/** The unpacked tree of each layer of an image, bottom first (from image inspect). */
export async function layerDirs(cli: ImageCli, ref: string): Promise<string[]> {
  const r = await cli.run(['image', 'inspect', ref]);
  if (r.code !== 0) throw new Error(`image inspect ${ref}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as Array<{ Tsrun: { Layers: Array<{ Path: string }> } }>;
  return (doc[0] as (typeof doc)[0]).Tsrun.Layers.map((l) => l.Path);
}

/** The message of tsrun's fatal error on stderr (a logrus text record: msg="..." with escapes). */
export function errorMessage(stderr: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  return m ? (JSON.parse(`"${m[1]}"`) as string) : stderr;
}
