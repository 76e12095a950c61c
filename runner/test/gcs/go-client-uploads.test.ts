// The GCS test server speaks the resumable dialect of Google's Go client too (rclone is the benchmark's
// baseline): chunks are POSTed, and with X-GUploader-No-308 "resume incomplete" is a 200 with an override header.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGcsTestServer, type GcsTestServer } from '../gcs-server/server.js';

describe('GCS test server: resumable uploads as the Go client sends them', () => {
  let server: GcsTestServer;
  before(async () => {
    server = await startGcsTestServer({ buckets: ['go-bucket'] });
  });
  after(() => server.close());

  it('answers 200 + X-Http-Status-Code-Override: 308 between chunks, then creates the object', async () => {
    const start = await fetch(`${server.endpoint}/upload/storage/v1/b/go-bucket/o?uploadType=resumable&name=a%2Fb.bin`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(start.status, 200);
    const session = start.headers.get('location');
    assert.ok(session);
    const chunk = (range: string, body: string) =>
      fetch(session, { method: 'POST', headers: { 'content-range': range, 'x-guploader-no-308': 'yes' }, body });
    const first = await chunk('bytes 0-3/*', 'abcd');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-http-status-code-override'), '308');
    assert.equal(first.headers.get('range'), 'bytes=0-3');
    const last = await chunk('bytes 4-5/6', 'ef');
    assert.equal(last.status, 200);
    assert.equal(last.headers.get('x-http-status-code-override'), null);
    assert.equal(((await last.json()) as { size: string }).size, '6');
    assert.equal((await server.readObject('go-bucket', 'a/b.bin'))?.bytes.toString(), 'abcdef');
  });

  it('still answers a plain 308 to a client that did not ask otherwise', async () => {
    const start = await fetch(`${server.endpoint}/upload/storage/v1/b/go-bucket/o?uploadType=resumable&name=c.bin`, { method: 'POST', body: '{}' });
    const session = start.headers.get('location') ?? '';
    const first = await fetch(session, { method: 'PUT', headers: { 'content-range': 'bytes 0-1/*' }, body: 'ab', redirect: 'manual' });
    assert.equal(first.status, 308);
  });
});
