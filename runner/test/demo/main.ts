// `make demo`: the whole backup job on this machine, with nothing to configure. It starts a Scrypted test server
// (3 cameras, 20 real MP4 clips), a GCS test server and the Firestore emulator on loopback, runs the real runner
// once with a progress line per clip, then shows the bucket and the watermark document, and stops everything.
import { runCli } from '../support/cli-process.js';
import { demoCameras, startLocalStack } from '../support/local-stack.js';
import { formatBytes } from '../../src/job/tally.js';
import { startBrowseServer } from '../../src/restore/browse-server.js';
import { GcsReader } from '../../src/restore/gcs-reader.js';

/** `--browse`: after the demo, serve the browse page on its clips until Ctrl-C. */
const browse = process.argv.includes('--browse');

function progress(line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  switch (entry.event) {
    case 'camera.planned':
      console.log(`  camera ${String(entry.camera)}: ${String(entry.toBackup)} clip(s) to back up, ${String(entry.stillRecording)} still recording`);
      break;
    case 'clip.uploaded':
      console.log(`  ✓ ${String(entry.object)}  ${formatBytes(Number(entry.bytes))}  ${String(entry.mbPerSecond)} MB/s`);
      break;
    case 'clip.exists':
      console.log(`  = ${String(entry.object)} (already in the bucket)`);
      break;
    case 'clip.failed':
    case 'clip.unsupported':
      console.log(`  ✗ ${String(entry.object ?? entry.clipId)}: ${String(entry.err)}`);
      break;
    case 'upload.retry':
      console.log(`  … retry ${String(entry.attempt)} of ${String(entry.object)} in ${String(entry.delayMs)} ms: ${String(entry.reason)}`);
      break;
    default:
  }
}

console.log('starting the local servers: Scrypted test server, GCS test server, Firestore emulator …');
const stack = await startLocalStack(demoCameras(3, 20));
let exitCode = 1;
try {
  console.log(`  Scrypted   ${stack.scrypted.baseUrl}\n  GCS        ${stack.gcs.endpoint} (bucket ${stack.bucket})\n  Firestore  ${stack.firestore.host}\n`);
  console.log('$ nvr-backup run');
  const run = await runCli(['run'], stack.env, 300_000, progress);
  process.stdout.write(run.stderr);
  exitCode = run.code ?? 1;

  console.log('\n$ nvr-backup run   (again: nothing new)');
  const again = await runCli(['run'], stack.env, 300_000, progress);
  process.stdout.write(again.stderr);

  const objects = await stack.gcs.listObjects(stack.bucket);
  console.log(`\nthe bucket gs://${stack.bucket} holds ${objects.length} object(s):`);
  for (const name of objects) console.log(`  ${name}`);

  console.log('\n$ nvr-backup status');
  const status = await runCli(['status'], stack.env);
  process.stdout.write(status.stdout);

  // Restore side: `find` reads object names and metadata with read access (here the GCS test server).
  console.log('\n$ nvr-backup find --since 3h');
  const find = await runCli(['find', '--since', '3h'], { GCS_BUCKET_NAME: stack.bucket, GCS_ENDPOINT: stack.gcs.endpoint, TZ: process.env.TZ ?? '' });
  process.stdout.write(find.stdout + find.stderr);
  if (find.code !== 0) exitCode = find.code ?? 1;

  if (browse) {
    const reader = new GcsReader({ bucket: stack.bucket, apiEndpoint: stack.gcs.endpoint, objectPrefix: '', keyFilename: undefined });
    const server = await startBrowseServer({ reader, objectPrefix: '', port: 0 });
    console.log(`\nbrowse: open ${server.url} (the demo's clips are synthetic MP4s without a video track: they list, they do not play). Ctrl-C stops.`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await server.close();
  } else {
    console.log('\nto look through these clips in a browser (page on 127.0.0.1, until Ctrl-C):');
    console.log('  node --import tsx runner/test/demo/main.ts --browse');
    console.log('with your real bucket: GCS_BUCKET_NAME=... nvr-backup browse   (your own read access; docs/restore.md)');
  }
} finally {
  await stack.stop();
  console.log('\nlocal servers stopped.');
}
process.exit(exitCode);
