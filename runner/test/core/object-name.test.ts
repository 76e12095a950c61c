import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SEGMENT_BYTES, objectMetadata, objectName, sanitizePrefix, sanitizeSegment } from '../../src/core/object-name.js';
import type { Camera, Clip } from '../../src/core/ports.js';

const camera: Camera = { id: '12', name: 'Front Door' };
const clip = (id: string, startTime: number, duration = 30_000): Clip => ({ id, cameraId: camera.id, startTime, duration });
const start = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('objectName', () => {
  it('follows {camera}/{yyyy}/{MM}/{dd}/{HH-mm-ss}_{tag}.mp4 in UTC', () => {
    assert.match(objectName(camera, clip('a', start)), /^Front_Door\/2026\/01\/02\/03-04-05_[0-9a-f]{8}\.mp4$/);
  });

  it('is stable for the same clip and distinct for two clips that start in the same second', () => {
    const first = objectName(camera, clip('a', start));
    assert.equal(objectName(camera, clip('a', start)), first);
    const second = objectName(camera, clip('b', start + 100));
    assert.notEqual(second, first);
    assert.equal(second.slice(0, -13), first.slice(0, -13), 'same time part, different tag');
  });

  it('keeps the same clip id on two cameras apart', () => {
    const other: Camera = { id: '13', name: 'Front Door' };
    assert.notEqual(objectName(other, clip('a', start)), objectName(camera, clip('a', start)));
  });

  it('puts an optional site prefix first, sanitized per segment', () => {
    assert.match(objectName(camera, clip('a', start), 'lake-house'), /^lake-house\/Front_Door\/2026\//);
    assert.match(objectName(camera, clip('a', start), '/a/../b/'), /^a\/b\/Front_Door\//);
    assert.equal(sanitizePrefix(''), '');
  });

  it('refuses a clip without a usable start time', () => {
    assert.throws(() => objectName(camera, clip('a', Number.NaN)), /no valid start time/);
  });

  it('uses midnight and end-of-year edges in UTC', () => {
    assert.match(objectName(camera, clip('a', Date.UTC(2025, 11, 31, 23, 59, 59, 999))), /\/2025\/12\/31\/23-59-59_/);
  });
});

describe('sanitizeSegment', () => {
  const cases: Array<[string, RegExp]> = [
    ['../x', /^x$/],
    ['..', /^camera-[0-9a-f]{8}$/],
    ['a/b\\c', /^a_b_c$/],
    ['bad\u0000\u001fname\n', /^bad_name$/],
    ['', /^camera-[0-9a-f]{8}$/],
    ['   ', /^camera-[0-9a-f]{8}$/],
    ['Garage 🚗', /^Garage$/],
    ['🚗', /^camera-[0-9a-f]{8}$/],
    ['Café Nord', /^Café_Nord$/],
    ['カメラ1', /^カメラ1$/],
  ];
  for (const [raw, expected] of cases) {
    it(`makes ${JSON.stringify(raw)} safe`, () => {
      const safe = sanitizeSegment(raw, 'camera');
      assert.match(safe, expected);
      assert.ok(!safe.includes('/') && !safe.includes('\\') && safe !== '..' && safe !== '.');
    });
  }

  it('cuts 2 KB of text to a bounded, tagged segment, distinct from a similar long name', () => {
    const long = 'x'.repeat(2048);
    const safe = sanitizeSegment(long, 'camera');
    assert.ok(Buffer.byteLength(safe) <= MAX_SEGMENT_BYTES, `length ${Buffer.byteLength(safe)}`);
    assert.match(safe, /-[0-9a-f]{8}$/);
    assert.notEqual(sanitizeSegment(`${long}y`, 'camera'), safe);
  });

  it('never splits a multi-byte character when cutting', () => {
    const safe = sanitizeSegment('é'.repeat(100), 'camera');
    assert.ok(Buffer.byteLength(safe) <= MAX_SEGMENT_BYTES);
    assert.ok(!safe.includes('\uFFFD'));
  });

  it('normalizes to NFC so the same name typed two ways gives one prefix', () => {
    assert.equal(sanitizeSegment('Cafe\u0301', 'camera'), sanitizeSegment('Caf\u00e9', 'camera'));
  });
});

describe('objectMetadata', () => {
  it('carries the ids, times, event and detection classes as strings', () => {
    const metadata = objectMetadata(camera, { ...clip('c1', start, 12_000), event: 'motion', detectionClasses: ['person', 'car'] });
    assert.deepEqual(metadata, {
      cameraId: '12',
      cameraName: 'Front Door',
      clipId: 'c1',
      startTime: new Date(start).toISOString(),
      startTimeMs: String(start),
      durationMs: '12000',
      event: 'motion',
      detectionClasses: 'person,car',
    });
  });
});
