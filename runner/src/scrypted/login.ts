// Logging in to Scrypted (docs/scrypted-protocol.md §2). Over HTTPS, GET /login with HTTP Basic returns the
// long-lived user token, which survives server restarts; over plain HTTP, POST /login. Wrong credentials are a
// bare HTTP 401 with an empty body on GET, an HTTP 200 whose JSON carries `error` on POST: both are checked.
import type { Agent } from 'node:http';
import { registerSecret } from '../log.js';
import { readText, sendRequest } from './http-request.js';

export interface LoginResult {
  /** The credential for `Authorization: Bearer …` on every later request. */
  token: string;
  /** True when it is the long-lived per-user token (else the 1-day token, which dies with the server). */
  longLived: boolean;
}

/** Network failures before any answer name the address and the setting; TLS errors already say what to set. */
export async function reach<T>(baseUrl: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith("Scrypted's TLS certificate")) throw error;
    throw new Error(`cannot reach Scrypted at ${baseUrl} (${message}): check SCRYPTED_HOST and that Scrypted is running`, { cause: error });
  }
}

export async function login(baseUrl: string, username: string, password: string, agent: Agent, timeoutMs: number): Promise<LoginResult> {
  const url = new URL('/login', baseUrl);
  const basic = baseUrl.startsWith('https:');
  const basicCredentials = Buffer.from(`${username}:${password}`).toString('base64');
  registerSecret(basicCredentials);
  const response = await reach(baseUrl, () => sendRequest(url, {
    agent,
    timeoutMs,
    method: basic ? 'GET' : 'POST',
    headers: basic
      ? { authorization: `Basic ${basicCredentials}` }
      : { 'content-type': 'application/json' },
    ...(basic ? {} : { body: JSON.stringify({ username, password }) }),
  }));
  const text = await readText(response, basic ? 'GET /login' : 'POST /login', timeoutMs);
  if (response.statusCode === 401) {
    throw new Error(`Scrypted login failed: wrong user name or password for user ${JSON.stringify(username)} (HTTP 401): check SCRYPTED_USER and SCRYPTED_PASSWORD`);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`Scrypted login failed: HTTP ${response.statusCode} with a body that is not JSON (is SCRYPTED_HOST a Scrypted server?)`);
  }
  if (typeof body.error === 'string') {
    throw new Error(`Scrypted login failed for user ${JSON.stringify(username)}: ${body.error.slice(0, 200)} (check SCRYPTED_USER and SCRYPTED_PASSWORD)`);
  }
  // Every token the server gives is a secret from now on: no log line may carry it, under any key.
  if (typeof body.token === 'string') {
    registerSecret(body.token);
    return { token: body.token, longLived: true };
  }
  if (typeof body.authorization === 'string') {
    const token = body.authorization.replace(/^Bearer /, '');
    registerSecret(token);
    return { token, longLived: false };
  }
  throw new Error(`Scrypted login failed: HTTP ${response.statusCode} without a token`);
}
