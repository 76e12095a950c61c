// Pings a healthchecks.io-style URL (HEALTHCHECK_URL) at the start of a run, on success and on failure.
// The protocol (https://healthchecks.io/docs/http_api/ and https://healthchecks.io/docs/signaling_failures/):
// GET/POST `<url>/start` signals a start, `<url>` a success, `<url>/fail` a failure; a POST body (kept up to
// 100 KB by healthchecks.io) is shown with the ping, so the failure's reason goes there. A ping never fails the
// backup: it has a short deadline and its errors are logged as warnings. The URL holds the check's secret (its
// UUID or ping key), so it is registered as a secret and never printed.
import type { Logger } from '../log.js';
import { scrubSecrets } from '../log.js';

export type PingKind = 'start' | 'success' | 'fail';

/** How long one ping may take before it is abandoned. */
export const PING_DEADLINE_MS = 10_000;
/** The body sent with a ping is cut to this many characters. */
const MAX_BODY_CHARS = 10_000;

/** The URL a ping of this kind goes to: `<url>/start`, `<url>`, `<url>/fail` (a query string stays at the end). */
export function pingUrl(base: string, kind: PingKind): string {
  const url = new URL(base);
  const suffix = kind === 'success' ? '' : `/${kind}`;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
  return url.toString();
}

/** Sends one ping; resolves true when the server answered 2xx. Never throws. */
export async function sendPing(base: string, kind: PingKind, body: string, logger: Logger, deadlineMs = PING_DEADLINE_MS): Promise<boolean> {
  try {
    const response = await fetch(pingUrl(base, kind), {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: scrubSecrets(body).slice(0, MAX_BODY_CHARS),
      signal: AbortSignal.timeout(deadlineMs),
      redirect: 'follow',
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return true;
    logger.warn({ event: 'ping.failed', kind, status: response.status }, `the HEALTHCHECK_URL ${kind} ping was answered ${response.status}; the backup goes on`);
    return false;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason = error instanceof Error && error.name === 'TimeoutError'
      ? `no answer within ${deadlineMs / 1000} s`
      : `${error instanceof Error ? error.message : String(error)}${cause instanceof Error ? `: ${cause.message}` : ''}`;
    logger.warn({ event: 'ping.failed', kind, err: scrubSecrets(reason) }, `the HEALTHCHECK_URL ${kind} ping failed (${scrubSecrets(reason)}); the backup goes on`);
    return false;
  }
}
