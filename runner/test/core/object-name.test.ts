import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { cutToBytes, MAX_SEGMENT_BYTES, objectMetadata, objectName, sanitizePrefix, sanitizeSegment, sharedFolders } from '../../src/core/object-name.js';
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

  it('makes the site part of the tag: two sites with the same camera and clip ids get two names in one layout', () => {
    const home = objectName(camera, clip('a', start), '', 'home');
    const cabin = objectName(camera, clip('a', start), '', 'cabin');
    assert.notEqual(home, cabin);
    assert.equal(home.slice(0, -13), cabin.slice(0, -13), 'same folder and time, only the tag differs');
    const tag = createHash('sha256').update(['cabin', camera.id, 'a'].join('\u0000')).digest('hex').slice(0, 8);
    assert.equal(cabin, `Front_Door/2026/01/02/03-04-05_${tag}.mp4`, 'tag = sha256(site, camera id, clip id), as the README says');
    assert.equal(objectName(camera, clip('a', start)), home, 'the default site is SITE_ID\'s default, home');
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
    // Combining marks stay with their letters: Devanagari vowel signs, Thai, Vietnamese, a decomposed accent.
    ['कैमरा', /^कैमरा$/],
    ['सामने का दरवाज़ा', /^सामने_का_दरवाज़ा$/],
    ['กล้องหน้าบ้าน', /^กล้องหน้าบ้าน$/],
    ['Cửa trước', /^Cửa_trước$/],
    ['Cafe\u0301', /^Café$/],
    // A mark with no letter before it is not kept on its own.
    ['\u0301\u0301', /^camera-[0-9a-f]{8}$/],
    ['a \u0301b', /^a_b$/],
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

  it('cuts a long name of letters with marks between whole letters (the mark stays with its letter)', () => {
    const safe = sanitizeSegment('कैमरा'.repeat(20), 'camera');
    assert.ok(Buffer.byteLength(safe) <= MAX_SEGMENT_BYTES);
    const body = safe.replace(/-[0-9a-f]{8}$/, '');
    assert.ok('कैमरा'.repeat(20).startsWith(body));
    assert.doesNotMatch(body, /^\p{M}|\p{L}$(?<=क)/u);
    assert.notEqual(body.at(-1), 'क', 'cut between a consonant and its vowel sign');
  });

  it('normalizes to NFC so the same name typed two ways gives one prefix', () => {
    assert.equal(sanitizeSegment('Cafe\u0301', 'camera'), sanitizeSegment('Caf\u00e9', 'camera'));
  });
});

describe('objectMetadata', () => {
  it('carries the ids, times, event and detection classes as strings', () => {
    const metadata = objectMetadata(camera, { ...clip('c1', start, 12_000), event: 'motion', detectionClasses: ['person', 'car'] });
    assert.deepEqual(metadata, {
      site: 'home',
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

describe('metadata values are cut on grapheme boundaries', () => {
  const wellFormed = (text: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

  it('never ends in half a surrogate pair or half an emoji sequence', () => {
    for (const unit of ['🚗', '👩🏽‍🚒', '🇩🇪', 'é', 'कै', 'a']) {
      for (let pad = 0; pad < 4; pad++) {
        const name = `${'x'.repeat(pad)}${unit.repeat(300)}`;
        const metadata = objectMetadata({ id: '1', name }, { ...clip('c', start), event: name, detectionClasses: [name, name] });
        for (const key of ['cameraName', 'event', 'detectionClasses'] as const) {
          const value = metadata[key] ?? '';
          assert.ok(wellFormed(value), `${key} of ${unit} ends in half a pair`);
          assert.ok(Buffer.byteLength(value) <= 1024);
          const rest = value.slice(pad);
          assert.equal(rest.split(unit).join('').replace(/,/g, '').replace(/x/g, ''), '', `${key} cut inside ${JSON.stringify(unit)}`);
        }
      }
    }
  });

  it('replaces a lone surrogate from the source instead of passing invalid UTF-16 on', () => {
    const metadata = objectMetadata({ id: 'id\ud800', name: 'cam\udc00era' }, clip('c\ud83d', start));
    for (const value of Object.values(metadata)) assert.ok(wellFormed(value), JSON.stringify(value));
    assert.equal(metadata.cameraName, 'cam\ufffdera');
  });

  it('cutToBytes keeps short text whole and cuts long text at most to the limit', () => {
    assert.equal(cutToBytes('Front Door', 512), 'Front Door');
    assert.equal(cutToBytes('🚗🚗', 7), '🚗');
    assert.equal(cutToBytes('👩🏽‍🚒x', 14), '');
    assert.equal(cutToBytes('👩🏽‍🚒x', 15), '👩🏽‍🚒'); // 15 bytes: 4 + 4 + 3 (ZWJ) + 4
  });
});

describe('sharedFolders', () => {
  it('names the cameras whose names become the same folder, and only those', () => {
    const cameras = [
      { id: '1', name: 'Front Door' },
      { id: '2', name: 'Front/Door' },
      { id: '3', name: 'Garage' },
      { id: '4', name: 'Front  Door 🚪' },
      { id: '5', name: 'Cafe\u0301' },
      { id: '6', name: 'Café' },
      { id: '1', name: 'Front Door' },
    ];
    assert.deepEqual(
      sharedFolders(cameras).map((group) => [group.folder, group.cameras.map((c) => c.id)]),
      [['Front_Door', ['1', '2', '4']], ['Café', ['5', '6']]],
    );
  });

  it('is empty when every camera has its own folder', () => {
    assert.deepEqual(sharedFolders([{ id: '1', name: 'a' }, { id: '2', name: 'b' }]), []);
  });
});
