// Where a registry's credentials come from: Docker's config.json (auths,
// credHelpers, credsStore), else, for an Amazon ECR registry, a token from
// ECR itself (cached in the image root).
import path from 'node:path';
import { DockerConfig, dockerConfigFile } from './auth/docker-config';
import { dropEcrToken, ecrCredentials, parseEcrHost } from './auth/ecr';
import type { CredentialSource } from './registry/auth';

export function credentialSource(imageRoot: string, env: NodeJS.ProcessEnv = process.env): CredentialSource {
  let config: DockerConfig | undefined;
  const cacheFile = path.join(imageRoot, 'cache', 'ecr-tokens.json');
  return {
    async get(host) {
      config ??= DockerConfig.read(dockerConfigFile(env));
      const c = await config.credentials(host);
      if (c) return c;
      const ecr = parseEcrHost(host);
      return ecr ? ecrCredentials(host, ecr, cacheFile) : undefined;
    },
    refused(host) {
      if (parseEcrHost(host)) dropEcrToken(host, cacheFile);
    },
  };
}
