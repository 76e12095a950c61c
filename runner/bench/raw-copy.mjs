// The local limit: bytes piped straight into the GCS test server (one media upload each, no checks, no state),
// `concurrency` at a time. From files on disk (what rclone reads), or, with --scrypted, fetched from the Scrypted
// test server's clip URLs (the path the runner's bytes take). Plain JavaScript so that it starts as fast as rclone.
// Usage: node raw-copy.mjs <endpoint> <bucket> <prefix> <concurrency> <file>...
//        node raw-copy.mjs <endpoint> <bucket> <prefix> <concurrency> --scrypted <baseUrl> <user> <password> <clipId>...
import { createReadStream } from 'node:fs';
import { get, request } from 'node:http';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';

const CLIP_PATH = '/endpoint/@test/videoclips-fixture/clip/'; // the Scrypted test server's clip URLs (plugin-api.ts)
const [endpoint, bucket, prefix, concurrency, ...rest] = process.argv.slice(2);
const viaScrypted = rest[0] === '--scrypted';
const [baseUrl, user, password] = viaScrypted ? rest.slice(1, 4) : [];
const items = viaScrypted ? rest.slice(4) : rest;

async function bearer() {
  const response = await fetch(`${baseUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) });
  return (await response.json()).authorization;
}
const authorization = viaScrypted ? await bearer() : undefined;

function source(item) {
  if (!viaScrypted) return Promise.resolve(createReadStream(item));
  return new Promise((resolve, reject) => get(`${baseUrl}${CLIP_PATH}${encodeURIComponent(item)}.mp4`, { headers: { authorization } }, resolve).on('error', reject));
}

let next = 0;
async function worker() {
  while (next < items.length) {
    const item = items[next++];
    const name = encodeURIComponent(`${prefix}${basename(item)}`);
    const upload = request(`${endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${name}`, { method: 'POST' });
    const answered = new Promise((resolve, reject) => {
      upload.on('response', (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))));
      });
      upload.on('error', reject);
    });
    await pipeline(await source(item), upload);
    await answered;
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
