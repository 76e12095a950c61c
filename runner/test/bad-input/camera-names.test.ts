// Bad-input table for camera names (and site prefixes) in object names. For every row the object name from
// objectName() must be a safe, valid GCS object name: no path traversal, no control or bidi-override
// characters, no empty segment, the camera segment at most MAX_SEGMENT_BYTES, at most 1024 bytes of valid
// UTF-8, the documented shape; and cameras whose names sanitize to the same text stay apart by their ids.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SEGMENT_BYTES, objectMetadata, objectName, sanitizeSegment, sharedFolders } from '../../src/core/object-name.js';
import type { Camera, Clip } from '../../src/core/ports.js';

const START = Date.UTC(2026, 10, 24, 3, 8, 22, 297);
const clip: Clip = { id: 'clip-1', cameraId: 'x', startTime: START, duration: 30_000 };
const TAIL = /^2026\/11\/24\/03-08-22_[0-9a-f]{8}\.mp4$/;

interface NameRow {
  label: string;
  name: string;
  /** What the camera segment must look like, when the row pins it down. */
  segment?: RegExp;
}

const rows: NameRow[] = [
  { label: 'a slash', name: 'Back/Yard', segment: /^Back_Yard$/ },
  { label: 'a backslash', name: 'Back\\Yard', segment: /^Back_Yard$/ },
  { label: 'only ..', name: '..', segment: /^camera-[0-9a-f]{8}$/ },
  { label: 'only .', name: '.', segment: /^camera-[0-9a-f]{8}$/ },
  { label: '../../etc', name: '../../etc', segment: /^etc$/ },
  { label: '../../etc/passwd', name: '../../etc/passwd', segment: /^etc_passwd$/ },
  { label: 'Windows traversal', name: '..\\..\\Windows\\System32', segment: /^Windows_System32$/ },
  { label: 'dots between slashes (kept inside one segment: safe)', name: 'a/../../b', segment: /^a_.._.._b$/ },
  { label: 'NUL', name: 'cam\u0000era', segment: /^cam_era$/ },
  { label: 'newline', name: 'cam\nera', segment: /^cam_era$/ },
  { label: 'CR LF', name: 'cam\r\nera\r\n', segment: /^cam_era$/ },
  { label: 'tab', name: '\tcam\tera', segment: /^cam_era$/ },
  { label: 'DEL', name: 'cam\u007fera', segment: /^cam_era$/ },
  { label: 'C1 control', name: 'cam\u0085era\u009b', segment: /^cam_era$/ },
  { label: 'every ASCII control character', name: Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('x') },
  { label: '2 KB of ASCII', name: 'Front Door '.repeat(190) },
  { label: '2 KB of slashes and dots', name: '../'.repeat(700) },
  { label: '2 KB of 3-byte characters', name: 'カメラ'.repeat(230) },
  { label: '2 KB of emoji', name: '🚗'.repeat(512) },
  { label: 'emoji', name: 'Garage 🚗🏠', segment: /^Garage$/ },
  { label: 'only emoji', name: '🎥📹', segment: /^camera-[0-9a-f]{8}$/ },
  { label: 'emoji with ZWJ and skin tone', name: 'Kid 👩🏽‍🚒 room', segment: /^Kid_room$/ },
  { label: 'only spaces', name: '     ', segment: /^camera-[0-9a-f]{8}$/ },
  { label: 'empty', name: '', segment: /^camera-[0-9a-f]{8}$/ },
  { label: 'non-breaking and ideographic spaces', name: '\u00a0\u3000\u2003', segment: /^camera-[0-9a-f]{8}$/ },
  { label: 'right-to-left Hebrew', name: 'מצלמה קדמית', segment: /^מצלמה_קדמית$/ },
  { label: 'right-to-left Arabic with digits', name: 'كاميرا ٣', segment: /^كاميرا_٣$/ },
  { label: 'a right-to-left override', name: 'cam\u202egnp.exe', segment: /^cam_gnp.exe$/ },
  { label: 'bidi isolates and marks', name: '\u2067abc\u2069\u200f\u200e', segment: /^abc$/ },
  { label: 'zero-width characters', name: 'ca\u200bm\ufeff', segment: /^ca_m$/ },
  { label: 'leading dots', name: '...hidden', segment: /^hidden$/ },
  { label: 'a dotfile', name: '.well-known', segment: /^well-known$/ },
  { label: 'leading and trailing dashes and underscores', name: '-_-cam-_-', segment: /^cam$/ },
  { label: 'a lone surrogate', name: 'cam\ud800era', segment: /^cam_era$/ },
  { label: 'GCS wildcard and URL characters', name: 'cam*?[]#%&=+:;"<>|~`', segment: /^cam$/ },
  { label: 'a URL', name: 'https://user:pw@nvr/x?y#z', segment: /^https_user_pw_nvr_x_y_z$/ },
  { label: 'a decomposed accent', name: 'Cafe\u0301', segment: /^Café$/ },
  { label: 'a percent-encoded traversal', name: '%2e%2e%2f%2e%2e', segment: /^2e_2e_2f_2e_2e$/ },
  // Combining marks belong to their letters (issue 18 row 18): `कैमरा` must not become `क_मर`.
  { label: 'Devanagari vowel signs', name: 'कैमरा', segment: /^कैमरा$/ },
  { label: 'Devanagari with a nukta and a virama', name: 'दरवाज़ा क्षेत्र', segment: /^दरवाज़ा_क्षेत्र$/ },
  { label: 'Tamil', name: 'முன் கேமரா', segment: /^முன்_கேமரா$/ },
  { label: 'Thai tone marks', name: 'กล้องหน้าบ้าน', segment: /^กล้องหน้าบ้าน$/ },
  { label: 'Vietnamese stacked diacritics, decomposed', name: 'Cu\u031b\u0309a tru\u031bo\u031b\u0301c', segment: /^Cửa_trước$/ },
  { label: 'Hebrew with points', name: 'מַצְלֵמָה', segment: /^מַצְלֵמָה$/ },
  { label: 'a mark with no letter', name: '\u0301\u0308 cam', segment: /^cam$/ },
  { label: 'combining marks piled on one letter (Zalgo)', name: `Z${'\u0301\u0316'.repeat(200)}oo`, segment: /^\p{L}\p{M}*-[0-9a-f]{8}$/u },
  { label: '2 KB of Devanagari', name: 'कैमरा'.repeat(140) },
];

const prefixes = ['', 'site', '../../etc', '/a/./b/', 'x\u0000y/\n/..', '🏠', `${'p'.repeat(100)}/${'q'.repeat(100)}`];

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI_AND_INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

function assertSafeObjectName(name: string, cameraSegment: string, prefix: string): void {
  assert.ok(Buffer.byteLength(name, 'utf8') <= 1024, `${Buffer.byteLength(name)} bytes`);
  assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name, 'not valid UTF-8 (lone surrogate?)');
  assert.ok(!name.includes('\r') && !name.includes('\n'), 'CR or LF in the name');
  assert.doesNotMatch(name, CONTROL, 'control character in the name');
  assert.doesNotMatch(name, BIDI_AND_INVISIBLE, 'bidi or invisible character in the name');
  assert.ok(!name.includes('\\'), 'backslash in the name');
  assert.ok(!name.startsWith('/') && !name.startsWith('.well-known/acme-challenge/'));
  const segments = name.split('/');
  for (const segment of segments) {
    assert.notEqual(segment, '', `empty segment in ${JSON.stringify(name)}`);
    assert.ok(segment !== '.' && segment !== '..', `traversal segment in ${JSON.stringify(name)}`);
    assert.ok(!segment.startsWith('.'), `segment starting with a dot in ${JSON.stringify(name)}`);
    assert.ok(Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES, `segment of ${Buffer.byteLength(segment)} bytes`);
  }
  // Shape: [prefix segments/]{camera}/{yyyy}/{MM}/{dd}/{HH-mm-ss}_{tag}.mp4
  assert.ok(segments.length >= 5);
  assert.match(segments.slice(-4).join('/'), TAIL);
  assert.equal(segments.at(-5), cameraSegment, 'the camera segment is not where it belongs');
  if (prefix === '') assert.equal(segments.length, 5, 'an empty prefix added segments');
}

describe('camera names in object names (table)', () => {
  for (const row of rows) {
    it(`${row.label}: ${JSON.stringify(row.name.length > 40 ? `${row.name.slice(0, 20)}…` : row.name)}`, () => {
      const camera: Camera = { id: '101', name: row.name };
      const segment = sanitizeSegment(row.name, 'camera');
      if (row.segment) assert.match(segment, row.segment);
      assert.ok(Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES, `camera segment of ${Buffer.byteLength(segment)} bytes`);
      if (Buffer.byteLength(row.name) > MAX_SEGMENT_BYTES && segment.length > 9) assert.match(segment, /-[0-9a-f]{8}$/, 'a cut segment must be tagged');
      // The name metadata: valid UTF-16 (no half surrogate pair), bounded, a start of the name cut between graphemes.
      const metadata = objectMetadata(camera, clip);
      assert.doesNotMatch(metadata.cameraName ?? '', /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      assert.ok(Buffer.byteLength(metadata.cameraName ?? '') <= 512);
      for (const prefix of prefixes) {
        const name = objectName(camera, clip, prefix);
        assertSafeObjectName(name, segment, prefix);
        assert.equal(objectName(camera, clip, prefix), name, 'the name is not stable');
      }
    });
  }
});

describe('cameras whose names sanitize to the same text', () => {
  const groups: string[][] = [
    ['Back/Yard', 'Back\\Yard', 'Back Yard', 'Back\u0000Yard', 'Back\n\tYard', '../Back/Yard/..', 'Back🚗Yard'],
    ['', ' ', '..'],
    ['Café', 'Cafe\u0301'],
    ['x'.repeat(2048), 'x'.repeat(2048)],
  ];
  for (const names of groups) {
    it(`${JSON.stringify(names.map((n) => (n.length > 12 ? `${n.slice(0, 8)}…` : n)))}: different ids give different object names`, () => {
      const cameras = names.map((name, index): Camera => ({ id: String(200 + index), name }));
      const objects = cameras.map((camera) => objectName(camera, clip));
      assert.equal(new Set(objects).size, objects.length, `collision:\n${objects.join('\n')}`);
      // Same clip id, same start second: only the tag (sha256 of camera id and clip id) tells them apart when the
      // camera segments are equal.
      for (const [index, object] of objects.entries()) {
        assertSafeObjectName(object, sanitizeSegment(cameras[index]?.name ?? '', 'camera'), '');
      }
      // Where their folders are the same, the run warns: one shared folder naming every camera of the group.
      // (Names with nothing usable each get their own camera-{hash} folder.)
      const folders = new Set(cameras.map((camera) => sanitizeSegment(camera.name, 'camera')));
      const shared = sharedFolders(cameras);
      if (folders.size === 1) {
        assert.equal(shared.length, 1);
        assert.deepEqual(shared[0]?.cameras.map((camera) => camera.id), cameras.map((camera) => camera.id));
      } else {
        assert.deepEqual(shared, []);
      }
    });
  }

  it('the same camera id with two names that sanitize alike gives the same object name (stable across renames of punctuation)', () => {
    assert.equal(objectName({ id: '7', name: 'Back/Yard' }, clip), objectName({ id: '7', name: 'Back Yard' }, clip));
  });

  it('long names that share their first 2 KB but differ at the end stay apart', () => {
    const base = 'y'.repeat(2048);
    const a = sanitizeSegment(`${base}a`, 'camera');
    const b = sanitizeSegment(`${base}b`, 'camera');
    assert.notEqual(a, b);
    assert.ok(Buffer.byteLength(a) <= MAX_SEGMENT_BYTES && Buffer.byteLength(b) <= MAX_SEGMENT_BYTES);
  });
});
