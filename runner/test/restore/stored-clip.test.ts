// What the bucket says about an object is hostile until checked: listing items, metadata values and names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable } from '../../src/restore/clip-table.js';
import { parseObjectResource } from '../../src/restore/gcs-reader.js';
import { isCamera, storedClip } from '../../src/restore/stored-clip.js';

const item = (fields: Record<string, unknown>) => ({ name: 'Front_Door/2026/11/29/14-02-10_1a2b3c4d.mp4', size: '1000', generation: '7', crc32c: 'AAAAAA==', ...fields });

describe('stored clips from listing items', () => {
  it('reads the runner\'s metadata: camera id and real name, start, duration, event, classes', () => {
    const object = parseObjectResource(item({ metadata: { cameraId: '101', cameraName: 'Front Door', startTimeMs: String(Date.parse('2026-11-29T14:02:10.250Z')), durationMs: '30000', event: 'motion', detectionClasses: 'person, package' } }));
    const clip = object && storedClip(object, '');
    assert.deepEqual(clip && { ...clip }, {
      objectName: 'Front_Door/2026/11/29/14-02-10_1a2b3c4d.mp4', folder: 'Front_Door', cameraId: '101', cameraName: 'Front Door',
      startMs: Date.parse('2026-11-29T14:02:10.250Z'), durationMs: 30000, event: 'motion', detectionClasses: ['person', 'package'],
      size: 1000, generation: '7', crc32c: 'AAAAAA==',
    });
    assert.ok(clip && isCamera(clip, ' front door ') && isCamera(clip, '101') && !isCamera(clip, '10') && !isCamera(clip, 'Front'));
  });

  it('falls back to the path when metadata is missing or nonsense', () => {
    const metadata = JSON.parse('{"startTimeMs":"soon","durationMs":"-5","cameraId":42,"__proto__":{"polluted":"yes"}}') as unknown;
    const object = parseObjectResource(item({ metadata }));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const clip = object && storedClip(object, '');
    assert.equal(clip?.startMs, Date.parse('2026-11-29T14:02:10Z'));
    assert.equal(clip?.durationMs, undefined);
    assert.equal(clip?.cameraName, 'Front_Door');
    assert.equal(clip?.cameraId, '');
  });

  it('drops items that are not clips or not objects: bad sizes, names, other layouts, prefixes', () => {
    for (const bad of [null, 'x', item({ size: '-1' }), item({ size: 'big' }), item({ name: '' }), item({ name: 'x'.repeat(1025) })]) {
      assert.equal(parseObjectResource(bad), undefined, JSON.stringify(bad)?.slice(0, 60));
    }
    for (const name of ['Front_Door/2026/11/29/notes.txt', 'Front_Door/2026/11/29/clip.mp4', 'Front_Door/x.mp4', 'site/Front_Door/2026/11/29/14-02-10_1a2b3c4d.mp4']) {
      const object = parseObjectResource(item({ name }));
      assert.equal(object && storedClip(object, ''), undefined, name);
    }
    const prefixed = parseObjectResource(item({ name: 'site/Front_Door/2026/11/29/14-02-10_1a2b3c4d.mp4' }));
    assert.equal(prefixed && storedClip(prefixed, 'site/')?.folder, 'Front_Door');
  });

  it('bounds metadata: at most 64 keys, values cut, classes capped', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v']));
    const object = parseObjectResource(item({ metadata: { ...many, detectionClasses: Array.from({ length: 100 }, (_, i) => `c${i}`).join(',') } }));
    assert.equal(object?.metadata.size, 64);
    const classes = parseObjectResource(item({ metadata: { detectionClasses: Array.from({ length: 100 }, (_, i) => `c${i}`).join(',') } }));
    assert.equal(classes && storedClip(classes, '')?.detectionClasses.length, 32);
  });

  it('never lets a name or event drive the terminal', () => {
    assert.equal(printable('Front\u001b[2J Door\u202e\u0007'), 'Front\\u{1b}[2J Door\\u{202e}\\u{7}');
  });
});
