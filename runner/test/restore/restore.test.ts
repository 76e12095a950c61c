// `restore` against the GCS test server: clips streamed into a folder, each checked against the object's
// CRC32C, named by camera and local time; a re-run skips what is there and correct; --dry-run writes nothing.
process.env.TZ = 'Europe/Berlin';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { restoreCommand, type RestoreFlags } from '../../src/commands/restore.js';
import { GcsReader } from '../../src/restore/gcs-reader.js';
import { captured, clipBytes, FRONT_DOOR, GARAGE, startFilledBucket, type FilledBucket } from './bucket-fixture.js';

const at = (iso: string) => Date.parse(iso);

describe('restore', () => {
  let bucket: FilledBucket;
  let folder: string;
  const run = async (overrides: Partial<RestoreFlags> = {}) => {
    const out = captured();
    const err = captured();
    const flags: RestoreFlags = { camera: ['Front Door'], from: '2026-11-29 15:00', to: '2026-11-29 16:00', utc: false, out: folder, dryRun: false, ...overrides };
    const code = await restoreCommand(bucket.env, flags, out, err);
    return { code, stdout: out.text(), stderr: err.text() };
  };
  // The test server counts objects.get (alt=media or not) as 'metadata', /download/ paths as 'download'.
  const downloads = () => (bucket.server.requests.metadata ?? 0) + (bucket.server.requests.download ?? 0);

  before(async () => {
    bucket = await startFilledBucket();
    folder = await mkdtemp(join(tmpdir(), 'restore-test-'));
    // 15:00-16:00 in Berlin (UTC+1) is 14:00-15:00 UTC.
    await bucket.put(FRONT_DOOR, { id: 'a', cameraId: '101', startTime: at('2026-11-29T14:02:10Z'), duration: 30_000, event: 'motion' }, clipBytes(300_000, 1));
    await bucket.put(FRONT_DOOR, { id: 'b', cameraId: '101', startTime: at('2026-11-29T14:30:00Z'), duration: 30_000 }, clipBytes(5000, 2));
    // Two clips in the same second: two files.
    await bucket.put(FRONT_DOOR, { id: 'c', cameraId: '101', startTime: at('2026-11-29T14:45:00.100Z'), duration: 30_000 }, clipBytes(4000, 3));
    await bucket.put(FRONT_DOOR, { id: 'c2', cameraId: '101', startTime: at('2026-11-29T14:45:00.600Z'), duration: 30_000 }, clipBytes(4100, 4));
    await bucket.put(GARAGE, { id: 'g', cameraId: '102', startTime: at('2026-11-29T14:10:00Z'), duration: 30_000 }, clipBytes(900, 5));
  });
  after(async () => {
    await bucket.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('--dry-run lists what would be restored and writes nothing', async () => {
    const before = downloads();
    const result = await run({ dryRun: true });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /would restore Front_Door\/2026\/11\/29\/14-02-10_[0-9a-f]{8}\.mp4 -> .*Front_Door_2026-11-29_15-02-10\.mp4 \(300\.0 KB\)/);
    assert.match(result.stdout, /dry run: 4 clip\(s\), 313\.1 KB, nothing written/);
    assert.deepEqual(await readdir(folder), []);
    assert.equal(downloads(), before);
  });

  it('downloads each clip, verified, named by camera and local time; a same-second twin gets the object\'s tag', async () => {
    const result = await run();
    assert.equal(result.code, 0, result.stderr);
    const files = (await readdir(folder)).sort();
    assert.equal(files.length, 4, files.join(' '));
    assert.equal(files[0], 'Front_Door_2026-11-29_15-02-10.mp4');
    assert.equal(files[1], 'Front_Door_2026-11-29_15-30-00.mp4');
    assert.match(files[2] as string, /^Front_Door_2026-11-29_15-45-00_[0-9a-f]{8}\.mp4$/);
    assert.match(files[3] as string, /^Front_Door_2026-11-29_15-45-00_[0-9a-f]{8}\.mp4$/);
    const tagOf = (name: string) => /_([0-9a-f]{8})\.mp4$/.exec(name)?.[1];
    assert.deepEqual([tagOf(files[2] as string), tagOf(files[3] as string)].sort(), [tagOf(bucket.stored[2]?.name ?? ''), tagOf(bucket.stored[3]?.name ?? '')].sort());
    assert.deepEqual(await readFile(join(folder, 'Front_Door_2026-11-29_15-02-10.mp4')), bucket.stored[0]?.bytes);
    assert.match(result.stdout, /restoring 4 clip\(s\), 313\.1 KB, from gs:\/\/restore-test \(2026-11-29 15:00:00 \+01:00 to 2026-11-29 16:00:00 \+01:00\)/);
    assert.match(result.stdout, /✓ \[1\/4\] Front_Door_2026-11-29_15-02-10\.mp4  300\.0 KB  CRC32C verified/);
    assert.match(result.stdout, /4 restored, 0 replaced, 0 already there, 0 failed/);
  });

  it('a re-run skips the files that are there and correct, and replaces one that is not', async () => {
    const before = downloads();
    const again = await run();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 restored, 0 replaced, 4 already there, 0 failed/);
    assert.equal(downloads(), before, 'nothing downloaded again');

    const damaged = join(folder, 'Front_Door_2026-11-29_15-30-00.mp4');
    const bytes = await readFile(damaged);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    await writeFile(damaged, bytes);
    const repaired = await run();
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /0 restored, 1 replaced, 3 already there, 0 failed/);
    assert.deepEqual(await readFile(damaged), bucket.stored[1]?.bytes);
    assert.equal(downloads(), before + 1);
  });

  it('keeps nothing whose bytes do not match the object\'s CRC32C, and says so (exit 1)', async () => {
    const fixture = bucket.stored.find((s) => s.camera === GARAGE);
    const path = bucket.server.objectPath(bucket.bucket, fixture?.name as string) as string;
    // The stored bytes change behind the object's back: what is served no longer matches its CRC32C.
    const bytes = await readFile(path);
    bytes[10] = (bytes[10] as number) ^ 0xff;
    await writeFile(path, bytes);
    const garageFolder = join(folder, 'garage');
    const result = await run({ camera: ['102'], out: garageFolder });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CRC32C .* of the bytes received is not the object's .*; not kept/);
    assert.match(result.stdout, /✗ \[1\/1\] Garage_2026-11-29_15-10-00\.mp4  not restored/);
    assert.match(result.stdout, /run the same command again to retry/);
    assert.deepEqual(await readdir(garageFolder), [], 'no file, no leftover temporary file');
  });

  it('the reader downloads a Range (206 with Content-Range; 416 past the end), and reads one object', async () => {
    const reader = new GcsReader({ bucket: bucket.bucket, apiEndpoint: bucket.server.endpoint, objectPrefix: '', keyFilename: undefined });
    const fixture = bucket.stored[1];
    const name = fixture?.name as string;
    const read = async (range: string) => {
      const download = await reader.download(name, { range });
      const chunks: Buffer[] = [];
      for await (const chunk of download.body) chunks.push(chunk as Buffer);
      return { status: download.status, contentRange: download.headers.get('content-range'), bytes: Buffer.concat(chunks) };
    };
    assert.deepEqual(await read('bytes=10-19'), { status: 206, contentRange: 'bytes 10-19/5000', bytes: fixture?.bytes.subarray(10, 20) });
    assert.deepEqual(await read('bytes=4990-'), { status: 206, contentRange: 'bytes 4990-4999/5000', bytes: fixture?.bytes.subarray(4990) });
    assert.deepEqual(await read('bytes=-4'), { status: 206, contentRange: 'bytes 4996-4999/5000', bytes: fixture?.bytes.subarray(4996) });
    assert.equal((await read('bytes=5000-')).status, 416);
    const before = downloads();
    const stat = await reader.stat(name);
    assert.equal(stat?.size, 5000);
    assert.equal(stat?.metadata.get('cameraName'), 'Front Door');
    assert.equal(await reader.stat('Front_Door/none.mp4'), undefined);
    assert.equal(downloads(), before + 2);
  });
});
