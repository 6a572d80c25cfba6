// Authorization for one repository on one registry endpoint: what the /v2/
// ping's challenge asks for (none, Basic, Bearer), the credentials for it
// (Docker's config.json, credential helpers, ECR), and Bearer tokens renewed
// before they run out. After a 401 the caller asks refresh() once and retries.
import { parseChallenges, type Challenge } from '../auth/challenge';
import type { Credentials } from '../auth/docker-config';
import { fetchToken, type Token } from '../auth/token';
import { RegistryError } from '../errors';
import type { HttpClient } from './http';

export interface CredentialSource {
  /** credentials for a registry host; undefined for anonymous */
  get(host: string): Promise<Credentials | undefined>;
  /** the registry refused what get() gave (a cached ECR token may be stale) */
  refused?(host: string): void;
}

export class Authorizer {
  private challenge: Challenge | undefined;
  private token: Token | undefined;
  /** a token request in flight: parallel downloads share it */
  private pending: Promise<Token> | undefined;
  private creds: Credentials | undefined | null = null;

  constructor(
    private readonly http: HttpClient,
    /** the host whose credentials apply (the registry's name, or the mirror's host) */
    readonly credentialHost: string,
    private readonly scope: string,
    private readonly source: CredentialSource,
    /** the registry speaks plain http: a token realm may too */
    private readonly plainHttp: boolean,
  ) {}

  /** Take the challenge of a 401 answer (the /v2/ ping's or a request's). */
  setChallenges(header: string | string[] | undefined): void {
    const all = parseChallenges(header);
    this.challenge = all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic') ?? this.challenge;
    this.token = undefined;
  }

  get scheme(): string {
    return this.challenge?.scheme ?? 'none';
  }

  /** Whether credentials were found for this registry (for error messages). */
  get hasCredentials(): boolean {
    return this.creds !== null && this.creds !== undefined;
  }

  private async credentials(): Promise<Credentials | undefined> {
    if (this.creds === null) this.creds = await this.source.get(this.credentialHost);
    return this.creds;
  }

  /** The Authorization header for the next request, if any. */
  async header(): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const c = await this.credentials();
      if (!c) return undefined;
      const [user, pass] = c.kind === 'password' ? [c.username, c.password] : [c.username ?? '<token>', c.token];
      return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    if (ch.scheme === 'bearer') {
      if (!this.token || Date.now() >= this.token.renewAt) {
        if (!this.pending) {
          this.pending = this.newToken(ch).finally(() => (this.pending = undefined));
        }
        this.token = await this.pending;
      }
      return `Bearer ${this.token.token}`;
    }
    return undefined;
  }

  private async newToken(ch: Challenge): Promise<Token> {
    const realmText = ch.params.realm;
    if (!realmText) throw new RegistryError(`${this.credentialHost}: Bearer challenge without a realm`);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new RegistryError(`${this.credentialHost}: Bearer realm ${JSON.stringify(realmText)} is not a URL`);
    }
    if (realm.protocol === 'http:' && !this.plainHttp) {
      throw new RegistryError(`${this.credentialHost}: refusing token realm ${realm.origin} over plain http (the registry uses https)`);
    }
    if (realm.protocol !== 'http:' && realm.protocol !== 'https:') throw new RegistryError(`${this.credentialHost}: unsupported realm ${realm.protocol}`);
    const scopes = [this.scope];
    if (ch.params.scope && !scopes.includes(ch.params.scope)) scopes.push(...ch.params.scope.split(' ').filter((s) => s && !scopes.includes(s)));
    const credentials = await this.credentials();
    return fetchToken(this.http, { realm, service: ch.params.service, scopes, credentials });
  }

  /**
   * After a 401: take its challenge, drop the token (it expired or lacks a
   * scope) and, the second time, credentials a cache may have kept too long.
   */
  refresh(header: string | string[] | undefined, attempt: number): void {
    if (header !== undefined) this.setChallenges(header);
    this.token = undefined;
    this.pending = undefined;
    if (attempt > 0 && this.creds) {
      this.source.refused?.(this.credentialHost);
      this.creds = null;
    }
  }
}
