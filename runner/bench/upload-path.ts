// The runner's byte path alone, for CPU: a clip file served over HTTP as Scrypted serves one (Content-Length,
// video/mp4), fetched and checked by the Scrypted adapter's openClipBytes, uploaded by GcsClipSink into the GCS
// test server; the file server and the GCS test server are processes of their own, so the CPU printed (this
// process's, from the first upload to the last) is the path's only: no start-up, no Firestore, no listing.
// Usage (the sources, through tsx):
//   node --import tsx runner/bench/upload-path.ts <clip file> <clips> [concurrency=4] [heap]
// `heap` also loads and creates a Firestore client, so the V8 heap is the runner's size (a full GC costs in
// proportion to it). Prints CPU seconds per GB and milliseconds per clip; docs/benchmarks.md has the figures.
// UPLOAD_PATH_LINK=home-50 (a BENCH_LINK name or spec) sends the uploads through the shaped link (link-relay.ts,
// a process of its own), to see what a slow uplink does to the path's CPU. UPLOAD_PATH_TLS=1 serves the clip over
// HTTPS (a self-signed certificate made with openssl for the run), as Scrypted's default port 10443 does.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../src/log.js';
import { startRelayProcess, type RelayProcess } from './relay-process.js';

const [file, clipsArg, concurrencyArg, heapArg] = process.argv.slice(2);
if (!file || !clipsArg) throw new Error('usage: upload-path.ts <clip file> <clips> [concurrency] [heap]');
const clips = Number(clipsArg);
const concurrency = Number(concurrencyArg ?? 4);
const GCS_MAIN = fileURLToPath(new URL('../test/gcs-server/main.ts', import.meta.url));
const TLS = process.env.UPLOAD_PATH_TLS === '1';
const FILE_SERVER = `
  const { createServer } = require(process.argv[3] ? 'node:https' : 'node:http'); const { createReadStream, readFileSync } = require('node:fs');
  const [file, size, certDir] = process.argv.slice(1);
  const tls = certDir ? { key: readFileSync(certDir + '/key.pem'), cert: readFileSync(certDir + '/cert.pem') } : {};
  const server = createServer(tls, (request, response) => {
    response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
    createReadStream(file).pipe(response);
  }).listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));`;

async function firstLine(child: ChildProcess): Promise<Record<string, unknown>> {
  if (!child.stdout) throw new Error('no stdout');
  return JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve))) as Record<string, unknown>;
}

const gcs = spawn(process.execPath, ['--import', 'tsx', GCS_MAIN, 'path-bucket'], { stdio: ['ignore', 'pipe', 'inherit'] });
const certDir = TLS ? mkdtempSync(join(tmpdir(), 'upload-path-tls-')) : undefined;
if (certDir) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${certDir}/key.pem`, '-out', `${certDir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
}
const files = spawn(process.execPath, ['-e', FILE_SERVER, file, String(statSync(file).size), ...(certDir ? [certDir] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
let relay: RelayProcess | undefined;
try {
  const { endpoint: gcsEndpoint } = (await firstLine(gcs)) as { endpoint: string };
  let endpoint = gcsEndpoint;
  if (process.env.UPLOAD_PATH_LINK) {
    relay = await startRelayProcess(process.env.UPLOAD_PATH_LINK, [`${new URL(gcsEndpoint).host}+`]);
    endpoint = `http://127.0.0.1:${relay.ports[0]}`;
  }
  const { port } = (await firstLine(files)) as { port: number };
  const { openClipBytes } = await import('../src/scrypted/clip-bytes.js');
  const { GcsClipSink } = await import('../src/gcs/gcs-clip-sink.js');
  let firestore: { terminate(): Promise<void> } | undefined;
  if (heapArg === 'heap') firestore = new (await import('@google-cloud/firestore')).Firestore({ projectId: 'demo-project' });
  const quiet = (() => undefined) as unknown;
  const logger = { info: quiet, warn: quiet, error: quiet, debug: quiet } as Logger;
  const sink = new GcsClipSink({
    bucket: 'path-bucket', projectId: 'demo-project', keyFilename: undefined, apiEndpoint: endpoint,
    resumableThresholdBytes: 8 * 2 ** 20, chunkSizeBytes: 0, maxAttempts: 1, baseBackoffMs: 10, logger,
  });
  const { ClipHttpClient } = await import('../src/scrypted/clip-http-client.js');
  const context = { baseUrl: `${TLS ? 'https' : 'http'}://127.0.0.1:${port}`, token: 'unused', http: new ClipHttpClient({ rejectUnauthorized: false }), timeoutMs: 30_000 };
  const noLocalUrl = () => Promise.reject(new Error('every clip has an href'));
  const run = Date.now();
  let next = 0;
  let bytes = 0;
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < clips) {
      const i = next++;
      const object = { name: `path-${run}-${i}`, contentType: 'video/mp4', metadata: {}, size: undefined };
      const open = () => openClipBytes({ id: String(i), resources: { video: { href: '/clip.mp4' } } }, noLocalUrl, context);
      const result = await sink.putIfAbsent(object, open);
      bytes += result.bytes;
    }
  }));
  const used = process.cpuUsage(before);
  const seconds = (used.user + used.system) / 1e6;
  console.log(`${clips} clips of ${(bytes / clips / 1e6).toFixed(1)} MB, ${concurrency} at once${firestore ? ', runner-sized heap' : ''}${TLS ? ', over TLS' : ''}${process.env.UPLOAD_PATH_LINK ? `, through ${process.env.UPLOAD_PATH_LINK}` : ''}: ` +
    `${(seconds / (bytes / 1e9)).toFixed(2)} CPU s/GB (system ${(used.system / 1e6 / (bytes / 1e9)).toFixed(2)}), ${((seconds * 1000) / clips).toFixed(2)} ms/clip, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  sink.close();
  context.http.close();
  await firestore?.terminate();
} finally {
  gcs.kill();
  files.kill();
  relay?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
}
