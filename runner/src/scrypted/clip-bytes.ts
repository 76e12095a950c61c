// Fetches one clip's MP4 bytes over HTTP(S), as a stream (protocol §11): never through RPC, whose messages the
// server caps at 20 MB and the websocket at 100 MiB.
import type { ClipStream } from '../core/ports.js';
import { checkClipContentType, ClipBodyCheck } from './clip-body-check.js';
import type { ClipHttpClient } from './clip-http-client.js';

export interface VideoClipShape {
  id: string;
  videoId?: string;
  resources?: { video?: { href?: string } };
}

export interface ByteFetchContext {
  baseUrl: string;
  token: string;
  http: ClipHttpClient;
  timeoutMs: number;
}

/** Only the path and query of a URL Scrypted gave us: its host part can be wrong (protocol §8). */
export function resolveOnBase(reference: string, baseUrl: string): URL {
  const given = new URL(reference, baseUrl);
  return new URL(`${given.pathname}${given.search}`, baseUrl);
}

/**
 * An HTTP answer from Scrypted other than 200. Its status is `scryptedStatus`, never `status` or `code`: a sink
 * must not mistake Scrypted's 412 (or any of its statuses) for an answer of its own storage.
 */
export class ScryptedHttpError extends Error {
  override name = 'ScryptedHttpError';
  constructor(message: string, readonly scryptedStatus: number) {
    super(message);
  }
}

/** The HTTP status Scrypted answered with, when the error is one of its answers. */
export function scryptedStatusOf(error: unknown): number | undefined {
  return error instanceof ScryptedHttpError ? error.scryptedStatus : undefined;
}

async function streamFrom(url: URL, context: ByteFetchContext, headers: Record<string, string>, signal?: AbortSignal): Promise<ClipStream> {
  const answer = await context.http.get(url, { timeoutMs: context.timeoutMs, headers, signal });
  const what = `clip bytes at ${url.pathname}`;
  if (answer.status !== 200) {
    answer.discard();
    throw new ScryptedHttpError(`Scrypted answered HTTP ${answer.status} for ${what}`, answer.status);
  }
  try {
    checkClipContentType(answer.headers.get('content-type'), what);
  } catch (error) {
    answer.discard();
    throw error;
  }
  // The clip's bytes reach the sink only through the check: a bad answer fails the stream before it ends.
  const checked = new ClipBodyCheck(what, answer.length, context.timeoutMs);
  // A consumer that attached no reader yet (an upload stopped while its session opened, a run being stopped) must
  // not take the process down with an unhandled 'error': readers that are attached still get every error.
  checked.on('error', () => undefined);
  // A connection that breaks mid-body fails the check with what was received; a consumer that stops reading
  // (destroying the check) frees the connection.
  answer.bodyInto(checked, (error) => {
    if (!checked.destroyed) checked.destroy(checked.cutOff(error));
  });
  return { stream: checked, size: answer.length };
}

/**
 * The string at `path` inside data from the peer, read only through plain objects: a remote proxy (a function)
 * on the way is never touched, since any property of it is a call to the server.
 */
export function peerString(value: unknown, ...path: string[]): string | undefined {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'string' ? at : undefined;
}

export async function openClipBytes(
  clip: VideoClipShape,
  localUrl: () => Promise<URL>,
  context: ByteFetchContext,
  signal?: AbortSignal,
): Promise<ClipStream> {
  const href = peerString(clip, 'resources', 'video', 'href');
  if (href) return streamFrom(resolveOnBase(href, context.baseUrl), context, { authorization: `Bearer ${context.token}` }, signal);
  // No href: the clip's public URL from the media manager (local-uri.ts); it needs no auth.
  return streamFrom(await localUrl(), context, {}, signal);
}
