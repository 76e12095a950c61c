// Outside text on a terminal line: every character a terminal acts on is shown escaped, everything else as is;
// JSON keeps parsing to the same values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forTerminal, jsonForTerminal } from '../../src/terminal-text.js';

const rows: Array<[string, string, string]> = [
  ['ESC sequences (clear screen, colour, title)', 'a\u001b[2J\u001b[31mb\u001b]0;t\u0007', 'a\\u001b[2J\\u001b[31mb\\u001b]0;t\\u0007'],
  ['CR and LF (a forged second line)', 'x\r\nok    bucket  fine', 'x\\u000d\\u000aok    bucket  fine'],
  ['tab, NUL, DEL, backspace', '\t\u0000\u007f\b', '\\u0009\\u0000\\u007f\\u0008'],
  ['C1 CSI and NEL', 'a\u009b31mb\u0085', 'a\\u009b31mb\\u0085'],
  ['a right-to-left override', 'cam\u202egnp.exe', 'cam\\u202egnp.exe'],
  ['bidi isolates, marks and the Arabic letter mark', '\u2066\u2067\u2068\u2069\u200e\u200f\u061c', '\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c'],
  ['line and paragraph separators', 'a\u2028b\u2029', 'a\\u2028b\\u2029'],
  ['a lone surrogate', 'a\ud800b\udc00', 'a\\ud800b\\udc00'],
  ['scripts, marks and emoji stay', 'कैमरा מצלמה 👩🏽‍🚒 Café', 'कैमरा מצלמה 👩🏽‍🚒 Café'],
];

describe('forTerminal', () => {
  for (const [label, raw, shown] of rows) {
    it(label, () => {
      assert.equal(forTerminal(raw), shown);
    });
  }
});

describe('jsonForTerminal', () => {
  it('escapes what JSON.stringify leaves raw and keeps the same values and line breaks', () => {
    const value = { name: 'a\u009b\u202e\u2028\u007fz\u001b', list: ['\u0085'] };
    const pretty = JSON.stringify(value, null, 2);
    const safe = jsonForTerminal(pretty);
    assert.doesNotMatch(safe, /[\u007f-\u009f\u202e\u2028\u001b]/);
    assert.deepEqual(JSON.parse(safe), value);
    assert.equal(safe.split('\n').length, pretty.split('\n').length);
  });
});
