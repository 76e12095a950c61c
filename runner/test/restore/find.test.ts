// `find` against the GCS test server: the clips of a camera (real name or id) and a local-time range, read from
// the objects' metadata with listings bounded to the range's prefixes (and paged), shown in local time.
process.env.TZ = 'America/New_York';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findCommand, type FindFlags } from '../../src/commands/find.js';
import { GcsReader } from '../../src/restore/gcs-reader.js';
import { findClips } from '../../src/restore/find-clips.js';
import { rangePrefixes } from '../../src/restore/listing-plan.js';
import { runCli } from '../support/cli-process.js';
import { captured, clipBytes, FRONT_DOOR, GARAGE, startFilledBucket, type FilledBucket } from './bucket-fixture.js';

const at = (iso: string) => Date.parse(iso);
const flags = (overrides: Partial<FindFlags>): FindFlags => ({ camera: [], json: false, utc: false, ...overrides });

describe('find', () => {
  let bucket: FilledBucket;
  const run = async (overrides: Partial<FindFlags>, env: Record<string, string> = bucket.env) => {
    const out = captured();
    const err = captured();
    const code = await findCommand(env, flags(overrides), out, err);
    return { code, stdout: out.text(), stderr: err.text() };
  };

  before(async () => {
    bucket = await startFilledBucket();
    // 2026-11-29 14:30-15:30 in New York (UTC-5) is 19:30-20:30 UTC.
    await bucket.put(FRONT_DOOR, { id: 'a', cameraId: '101', startTime: at('2026-11-29T19:20:00Z'), duration: 15 * 60_000, event: 'motion', detectionClasses: ['person'] }, clipBytes(1000, 1));
    await bucket.put(FRONT_DOOR, { id: 'b', cameraId: '101', startTime: at('2026-11-29T19:45:00Z'), duration: 30_000, event: 'motion', detectionClasses: ['person', 'package'] }, clipBytes(2000, 2));
    await bucket.put(FRONT_DOOR, { id: 'c', cameraId: '101', startTime: at('2026-11-29T20:10:05Z'), duration: 20_000, event: 'doorbell' }, clipBytes(1500, 3));
    await bucket.put(FRONT_DOOR, { id: 'd', cameraId: '101', startTime: at('2026-11-29T20:40:00Z'), duration: 20_000 }, clipBytes(500, 4));
    await bucket.put(FRONT_DOOR, { id: 'e', cameraId: '101', startTime: at('2026-11-28T20:00:00Z'), duration: 20_000 }, clipBytes(500, 5));
    await bucket.put(GARAGE, { id: 'f', cameraId: '102', startTime: at('2026-11-29T20:00:00Z'), duration: 20_000, event: 'motion', detectionClasses: ['car'] }, clipBytes(700, 6));
  });
  after(() => bucket.close());

  it('lists a camera\'s clips of a local-time range by real name: local start, duration, size, event, classes, object', async () => {
    const result = await run({ camera: ['front door'], from: '2026-11-29 14:30', to: '2026-11-29 15:30' });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^start \(local\)\s+duration\s+size\s+camera\s+event\s+classes\s+object$/);
    assert.equal(lines.length, 5, result.stdout);
    // The 14:20 clip runs 15 minutes, into the range; the 15:40 one and the other camera's are left out.
    assert.match(lines[1] as string, /^2026-11-29 14:20:00 -05:00\s+15m00s\s+1\.0 KB\s+Front Door\s+motion\s+person\s+Front_Door\/2026\/11\/29\/19-20-00_[0-9a-f]{8}\.mp4$/);
    assert.match(lines[2] as string, /^2026-11-29 14:45:00 -05:00\s+30s\s+2\.0 KB\s+Front Door\s+motion\s+person,package\s+Front_Door\/2026\/11\/29\/19-45-00_/);
    assert.match(lines[3] as string, /^2026-11-29 15:10:05 -05:00\s+20s\s+1\.5 KB\s+Front Door\s+doorbell\s+-\s+Front_Door\//);
    assert.match(lines[4] as string, /^3 clip\(s\), 4\.5 KB, in gs:\/\/restore-test from 2026-11-29 14:30:00 -05:00 to 2026-11-29 15:30:00 -05:00/);
  });

  it('takes the camera id, UTC times, and prints JSON for machines', async () => {
    const result = await run({ camera: ['102'], from: '2026-11-29 19:00', to: '2026-11-29 21:00', utc: true, json: true });
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as { clips: Array<Record<string, unknown>> };
    assert.equal(parsed.clips.length, 1);
    assert.deepEqual(
      { ...parsed.clips[0], objectName: undefined, crc32c: undefined, generation: undefined },
      { objectName: undefined, cameraId: '102', cameraName: 'Garage', start: '2026-11-29T20:00:00.000Z', startLocal: '2026-11-29 20:00:00 UTC', durationMs: 20_000, size: 700, event: 'motion', detectionClasses: ['car'], crc32c: undefined, generation: undefined },
    );
  });

  it('lists only the range\'s prefixes for each camera folder, never the whole bucket, and follows pages', async () => {
    const range = { fromMs: at('2026-11-29T19:30:00Z'), toMs: at('2026-11-29T20:30:00Z') };
    // An hour of overlap before the start: hours 18, 19 and 20 of that UTC day.
    assert.deepEqual(rangePrefixes(range), ['2026/11/29/18-', '2026/11/29/19-', '2026/11/29/20-']);
    // A range over whole UTC days lists those days whole and the edge hours one by one.
    const wide = rangePrefixes({ fromMs: at('2026-11-27T02:00:00Z'), toMs: at('2026-11-29T00:30:00Z') });
    assert.deepEqual(wide, [...Array.from({ length: 23 }, (_, h) => `2026/11/27/${String(h + 1).padStart(2, '0')}-`), '2026/11/28/', '2026/11/29/00-']);
    assert.deepEqual(rangePrefixes({ fromMs: at('2026-11-27T01:00:00Z'), toMs: at('2026-11-27T23:59:59.999Z') }), ['2026/11/27/']);

    const reader = new GcsReader({ bucket: bucket.bucket, apiEndpoint: bucket.server.endpoint, objectPrefix: '', keyFilename: undefined });
    for (let i = 0; i < 5; i++) {
      await bucket.put(GARAGE, { id: `page-${i}`, cameraId: '102', startTime: at('2026-11-29T20:05:00Z') + i * 1000, duration: 5000 }, clipBytes(100, 10 + i));
    }
    const listsBefore = bucket.server.requests.list ?? 0;
    const found = await findClips(reader, '', { ...range, cameras: ['Garage'] }, { pageSize: 2 });
    assert.equal(found.clips.length, 6, 'the clip of 20:00 and five of 20:05, over pages of two');
    assert.ok(found.clips.every((clip) => clip.cameraName === 'Garage'));
    // 1 page of camera folders (2 folders), then per folder: hours 18 and 19 (one page each) and hour 20 (one
    // page for Front Door's clip, three for Garage's six clips).
    assert.equal(found.requests, 1 + (1 + 1 + 1) + (1 + 1 + 3));
    assert.equal((bucket.server.requests.list ?? 0) - listsBefore, found.requests);
    for (const fixture of bucket.stored.slice(-5)) await bucket.server.deleteObjects(bucket.bucket, fixture.name);
  });

  it('finds the clips under OBJECT_PREFIX, and --since counts back from now', async () => {
    await bucket.put(GARAGE, { id: 'recent', cameraId: '102', startTime: Date.now() - 60 * 60_000, duration: 10_000, event: 'motion' }, clipBytes(300, 20), 'site-a');
    const result = await run({ since: '2h' }, { ...bucket.env, OBJECT_PREFIX: 'site-a' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Garage\s+motion\s+-\s+site-a\/Garage\//);
    assert.match(result.stdout, /^1 clip\(s\)/m);
  });

  it('says which cameras the range has when the name matches none', async () => {
    const result = await run({ camera: ['Back Yard'], from: '2026-11-29 14:30', to: '2026-11-29 15:30' });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^no clips in gs:\/\/restore-test from 2026-11-29 14:30:00 -05:00/);
    assert.match(result.stdout, /no camera named "Back Yard" has clips in that range; cameras with clips in it: Front Door \(id 101\), Garage \(id 102\)/);
  });

  it('rejects a bad time or a missing bucket with exit code 2 before contacting GCS', async () => {
    const lists = bucket.server.requests.list ?? 0;
    const badTime = await run({ from: '29/11/2026 3pm' });
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--from "29\/11\/2026 3pm" is not a time: use e\.g\. "2026-11-29 14:30"/);
    const noTime = await run({});
    assert.equal(noTime.code, 2);
    assert.match(noTime.stderr, /--since 3h/);
    const backwards = await run({ from: '2026-11-29 15:00', to: '2026-11-29 14:00' });
    assert.equal(backwards.code, 2);
    assert.match(backwards.stderr, /--to \(2026-11-29 14:00:00 -05:00\) is before the start/);
    const skipped = await run({ from: '2026-03-08 02:30' });
    assert.equal(skipped.code, 2, 'New York skips 02:00-03:00 on 2026-03-08');
    assert.match(skipped.stderr, /is not a time that exists in local time/);
    const noBucket = await run({ since: '1h' }, { GCS_ENDPOINT: bucket.server.endpoint });
    assert.equal(noBucket.code, 2);
    assert.match(noBucket.stderr, /GCS_BUCKET_NAME is required/);
    assert.equal(bucket.server.requests.list ?? 0, lists, 'nothing was listed');
  });

  it('a 403 names the missing role and the bucket', async () => {
    bucket.server.injectFaults({ status: 403, count: 1, match: 'any' });
    const result = await run({ since: '1h' });
    bucket.server.clearFaults();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /permission denied to list objects under "" in gs:\/\/restore-test: your account needs roles\/storage\.objectViewer on the bucket restore-test/);
    assert.match(result.stderr, /gcloud storage buckets add-iam-policy-binding gs:\/\/restore-test --member=user:YOU@example\.com --role=roles\/storage\.objectViewer/);
  });

  it('runs as `nvr-backup find` from the command line, with only the bucket settings', async () => {
    const result = await runCli(['find', '--camera', 'Front Door', '--from', '2026-11-29 14:30', '--to', '2026-11-29 15:30'], { ...bucket.env, TZ: 'America/New_York' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^3 clip\(s\)/m);
    assert.match(result.stdout, /2026-11-29 14:45:00 -05:00/);
  });
});
