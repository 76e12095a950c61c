// The test server's users and tokens, as scrypted-server-main.ts does them (protocol §2): the long-lived per-user
// token (stored, survives a restart) and the short-lived token sha256(json + authSalt) + '#' + json, whose salt
// is random per server process, so it dies with the process.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

interface User {
  password: string;
  token: string;
}

export class Auth {
  readonly users = new Map<string, User>();
  private salt = randomBytes(16).toString('hex');

  /** A restart: new process, new salt. */
  newProcess(): void {
    this.salt = randomBytes(16).toString('hex');
  }

  addUser(username: string, password: string): User {
    const user = { password, token: randomBytes(16).toString('hex') };
    this.users.set(username, user);
    return user;
  }

  shortLivedToken(username: string, durationMs = 86_400_000): string {
    const json = JSON.stringify({ u: username, t: Date.now(), d: durationMs });
    return `${createHash('sha256').update(json + this.salt).digest('hex')}#${json}`;
  }

  /** The user a credential (long-lived token or short-lived token) belongs to. */
  userOfToken(credential: string): string | undefined {
    for (const [name, user] of this.users) if (user.token === credential) return name;
    const [hash, json] = credential.split(/#(.*)/s);
    if (!hash || !json || createHash('sha256').update(json + this.salt).digest('hex') !== hash) return undefined;
    const { u, t, d } = JSON.parse(json) as { u: string; t: number; d: number };
    return t + d > Date.now() && this.users.has(u) ? u : undefined;
  }

  /** Bearer header or ?scryptedToken= (cookies are not used by this server). */
  userOfRequest(request: IncomingMessage): string | undefined {
    const header = request.headers.authorization ?? '';
    if (header.startsWith('Bearer ')) return this.userOfToken(header.slice(7));
    const query = new URL(request.url ?? '/', 'http://x').searchParams.get('scryptedToken');
    return query ? this.userOfToken(query) : undefined;
  }

  /** Password check; the password field also accepts the user's long-lived token. */
  check(username: string, password: string): 'ok' | 'no-user' | 'bad-password' {
    const user = this.users.get(username);
    if (!user) return 'no-user';
    return user.password === password || user.token === password ? 'ok' : 'bad-password';
  }
}
