// `browse`'s local web server: on 127.0.0.1 only, it serves one page (browse-page.ts, no build step, nothing from
// the internet), a day's clips as JSON, and each clip's bytes streamed from the bucket with the browser's Range
// header passed on, so the player can seek. Only clips this server listed can be fetched, and only by a page
// that calls it by its loopback name (the Host check stops DNS rebinding from another site).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { scrubSecrets } from '../log.js';
import { BROWSE_PAGE, BROWSE_SCRIPT } from './browse-page.js';
import { restoredFileNames } from './download-clip.js';
import { findClips } from './find-clips.js';
import type { GcsReader } from './gcs-reader.js';
import type { StoredClip } from './stored-clip.js';
import { formatTime, parseTime, SelectionError } from './time-range.js';

export interface BrowseServerOptions {
  reader: GcsReader;
  objectPrefix: string;
  /** 0: any free port. */
  port: number;
  now?: () => number;
}

export interface BrowseServer {
  url: string;
  close(): Promise<void>;
}

/** Clips remembered for /clip; more than this and the oldest listings are forgotten. */
const MAX_KNOWN_CLIPS = 50_000;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; media-src 'self'; connect-src 'self'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const localDate = (ms: number) => formatTime(ms, false).slice(0, 10);

export async function startBrowseServer(options: BrowseServerOptions): Promise<BrowseServer> {
  const known = new Map<string, StoredClip>();
  const now = options.now ?? Date.now;
  let port = 0;

  async function day(url: URL, response: ServerResponse): Promise<void> {
    const date = url.searchParams.get('date') || localDate(now());
    let fromMs: number;
    let toMs: number;
    try {
      fromMs = parseTime(date, 'date', false);
      toMs = parseTime(date, 'date', false, true);
    } catch (error) {
      if (!(error instanceof SelectionError)) throw error;
      return send(response, 400, 'application/json', JSON.stringify({ error: error.message }));
    }
    const found = await findClips(options.reader, options.objectPrefix, { fromMs, toMs, cameras: [] });
    if (known.size + found.clips.length > MAX_KNOWN_CLIPS) known.clear();
    const cameras = new Map<string, { id: string; name: string; clips: number }>();
    for (const clip of found.clips) {
      known.set(clip.objectName, clip);
      const key = `${clip.cameraId}\u0000${clip.cameraName}`;
      const camera = cameras.get(key) ?? { id: clip.cameraId, name: clip.cameraName, clips: 0 };
      camera.clips += 1;
      cameras.set(key, camera);
    }
    send(response, 200, 'application/json', JSON.stringify({
      bucket: options.reader.bucket,
      date,
      dayStartMs: fromMs,
      dayEndMs: toMs + 1,
      cameras: [...cameras.values()].sort((a, b) => a.name.localeCompare(b.name)),
      clips: found.clips.map((clip) => ({
        name: clip.objectName,
        cameraId: clip.cameraId,
        cameraName: clip.cameraName,
        startMs: clip.startMs,
        time: formatTime(clip.startMs, false).slice(11, 19),
        durationMs: clip.durationMs ?? null,
        size: clip.size,
        event: clip.event ?? null,
        detectionClasses: clip.detectionClasses,
      })),
    }));
  }

  async function clip(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    const stored = known.get(url.searchParams.get('name') ?? '');
    if (!stored) return send(response, 404, 'text/plain; charset=utf-8', 'unknown clip: open its day first\n');
    const range = request.headers.range;
    const download = await options.reader.download(stored.objectName, {
      ...(stored.generation ? { generation: stored.generation } : {}),
      ...(range && /^bytes=\d*-\d*$/.test(range) ? { range } : {}),
    });
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': 'video/mp4', 'accept-ranges': 'bytes' };
    for (const name of ['content-length', 'content-range']) {
      const value = download.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    if (url.searchParams.get('download') === '1') {
      const file = restoredFileNames([stored], false).get(stored) as string;
      headers['content-disposition'] = `attachment; filename="${file.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file)}`;
    }
    response.writeHead(download.status, headers);
    if (request.method === 'HEAD') {
      download.body.destroy();
      response.end();
      return;
    }
    response.once('close', () => download.body.destroy());
    download.body.once('error', () => response.destroy());
    download.body.pipe(response);
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Only this page, by its loopback name: another site's page that resolves a name to 127.0.0.1 is refused.
    const host = request.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(response, 421, 'text/plain; charset=utf-8', 'this server answers only to 127.0.0.1\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'GET only\n');
    const url = new URL(request.url ?? '/', `http://${host}`);
    if (url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', BROWSE_PAGE);
    if (url.pathname === '/app.js') return send(response, 200, 'text/javascript; charset=utf-8', BROWSE_SCRIPT);
    if (url.pathname === '/api/day') return day(url, response);
    if (url.pathname === '/clip') return clip(request, url, response);
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
  }

  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      send(response, 502, 'application/json', JSON.stringify({ error: scrubSecrets(error instanceof Error ? error.message : String(error)) }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
