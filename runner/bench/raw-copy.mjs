// The local limit: each file piped straight into the GCS test server (one media upload per file, no checks),
// `concurrency` at a time. Plain JavaScript so that it starts as fast as rclone.
// Usage: node raw-copy.mjs <endpoint> <bucket> <prefix> <concurrency> <file>...
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [endpoint, bucket, prefix, concurrency, ...files] = process.argv.slice(2);
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const name = encodeURIComponent(`${prefix}${basename(file)}`);
    const upload = request(`${endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${name}`, { method: 'POST' });
    const answered = new Promise((resolve, reject) => {
      upload.on('response', (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))));
      });
      upload.on('error', reject);
    });
    await pipeline(createReadStream(file), upload);
    await answered;
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
