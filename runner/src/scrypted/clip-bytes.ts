// Fetches one clip's MP4 bytes over HTTP(S), as a stream (protocol §11): never through RPC, whose messages the
// server caps at 20 MB and the websocket at 100 MiB.
import type { Agent } from 'node:http';
import type { ClipStream } from '../core/ports.js';
import { sendRequest } from './http-request.js';

export interface VideoClipShape {
  id: string;
  videoId?: string;
  resources?: { video?: { href?: string } };
}

export interface ByteFetchContext {
  baseUrl: string;
  token: string;
  agent: Agent;
  timeoutMs: number;
}

/** Only the path and query of a URL Scrypted gave us: its host part can be wrong (protocol §8). */
export function resolveOnBase(reference: string, baseUrl: string): URL {
  const given = new URL(reference, baseUrl);
  return new URL(`${given.pathname}${given.search}`, baseUrl);
}

async function streamFrom(url: URL, context: ByteFetchContext, headers: Record<string, string>, signal?: AbortSignal): Promise<ClipStream> {
  const response = await sendRequest(url, { agent: context.agent, timeoutMs: context.timeoutMs, headers, signal });
  if (response.statusCode !== 200) {
    response.resume();
    throw Object.assign(new Error(`Scrypted answered HTTP ${response.statusCode} for clip bytes at ${url.pathname}`), { status: response.statusCode });
  }
  const length = Number(response.headers['content-length']);
  return { stream: response, size: Number.isSafeInteger(length) && length >= 0 ? length : undefined };
}

export async function openClipBytes(
  clip: VideoClipShape,
  localUrl: () => Promise<URL>,
  context: ByteFetchContext,
  signal?: AbortSignal,
): Promise<ClipStream> {
  const href = clip.resources?.video?.href;
  if (href) return streamFrom(resolveOnBase(href, context.baseUrl), context, { authorization: `Bearer ${context.token}` }, signal);
  // No href: the clip's public URL from the media manager (local-uri.ts); it needs no auth.
  return streamFrom(await localUrl(), context, {}, signal);
}
