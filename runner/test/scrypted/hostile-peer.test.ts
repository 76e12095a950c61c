// Data from the Scrypted peer never reaches a prototype, and a message of the wrong shape never throws (issue 18
// rows 9 and 11): the device table, the RPC peer (param, apply, remote proxies, errors) and the framing, fed
// `__proto__`, `constructor`, `toString` and friends, `null`, numbers and non-JSON.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DeviceTable } from '../../src/scrypted/device-table.js';
import { frameReceiver, MAX_SIDEBAND_BYTES, parseMessage } from '../../src/scrypted/rpc-framing.js';
import { RpcPeer, type RpcMessage } from '../../src/scrypted/rpc-peer.js';

const INHERITED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

const objectKeys = Reflect.ownKeys(Object.prototype);
const functionKeys = Reflect.ownKeys(Function.prototype);

/** Nothing was planted on, or changed in, the prototypes every object and function shares. */
function assertNoPollution(): void {
  assert.deepEqual(Reflect.ownKeys(Object.prototype), objectKeys, 'Object.prototype changed');
  assert.deepEqual(Reflect.ownKeys(Function.prototype), functionKeys, 'Function.prototype changed');
  const probe = {} as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
  assert.equal(probe.toString, Object.prototype.toString);
  assert.equal(probe.then, undefined);
}

afterEach(assertNoPollution);

describe('the device table with keys every object inherits', () => {
  it('setSystemState with own __proto__, constructor and toString ids lists them as devices, nothing more', () => {
    const table = new DeviceTable();
    table.replace(JSON.parse('{"__proto__":{"name":{"value":"P"},"interfaces":{"value":["VideoClips"]}},"constructor":{"name":{"value":"C"}},"toString":{"interfaces":{"value":["VideoClips",5,{"x":1}]}},"101":{"name":{"value":"Front"},"interfaces":{"value":["VideoClips"]}}}'));
    const listed = table.list().sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(listed, [
      { id: '101', name: 'Front', interfaces: ['VideoClips'] },
      { id: '__proto__', name: 'P', interfaces: ['VideoClips'] },
      { id: 'constructor', name: 'C', interfaces: [] },
      { id: 'toString', name: 'toString', interfaces: ['VideoClips'] },
    ]);
  });

  for (const key of INHERITED) {
    it(`notify(${JSON.stringify(key)}, …) for a device not in the table is ignored`, () => {
      const table = new DeviceTable();
      table.replace({});
      table.setProperty(key, 'interfaces', { value: ['VideoClips'] });
      table.setProperty(key, 'then', () => 'called');
      assert.deepEqual(table.list(), []);
    });

    it(`a property named ${JSON.stringify(key)} stays data: it gives the device no interfaces or name`, () => {
      const table = new DeviceTable();
      table.replace({ hub: { name: { value: 'Hub' } } });
      table.setProperty('hub', key, { interfaces: { value: ['VideoClips'] }, name: { value: 'Evil' }, value: 'x' });
      assert.deepEqual(table.list(), [{ id: 'hub', name: 'Hub', interfaces: [] }]);
    });

    it(`updateDeviceState(${JSON.stringify(key)}, …) adds, and undefined removes, a device of that id`, () => {
      const table = new DeviceTable();
      table.update(key, { name: { value: 'N' } });
      assert.deepEqual(table.list(), [{ id: key, name: 'N', interfaces: [] }]);
      table.update(key, undefined);
      assert.deepEqual(table.list(), []);
    });
  }

  it('an entry whose value is inherited, a proxy-like function, or of the wrong type reads as absent', () => {
    const table = new DeviceTable();
    table.replace({ a: { name: Object.create({ value: 'inherited' }) as object, interfaces: { value: 'VideoClips' } }, b: () => {} });
    table.update(5, { name: { value: 'five' } });
    table.update('c', 'not an object');
    table.setProperty('a', 5, { value: 'x' });
    assert.deepEqual(table.list(), [{ id: 'a', name: 'a', interfaces: [] }]);
  });

  it('setSystemState with null, a list or a string leaves an empty table', () => {
    const table = new DeviceTable();
    for (const state of [null, [], 'x', 5]) {
      table.replace(state);
      assert.deepEqual(table.list(), []);
    }
  });
});

function recordingPeer() {
  const sent: RpcMessage[] = [];
  const bad: string[] = [];
  const peer = new RpcPeer((message) => sent.push(message), 1000, (reason) => bad.push(reason));
  return { peer, sent, bad };
}

describe('the RPC peer with names from the peer', () => {
  for (const key of INHERITED) {
    it(`param ${JSON.stringify(key)} answers undefined and exports nothing`, async () => {
      const { peer, sent } = recordingPeer();
      await peer.handleMessage({ type: 'param', id: 'p1', param: key }, undefined);
      assert.deepEqual(sent, [{ type: 'result', id: 'p1' }]);
      assert.equal(peer.exportCount, 0);
    });
  }

  it('apply may only call methods the exported class defines', async () => {
    const { peer, sent } = recordingPeer();
    const calls: string[] = [];
    class Remote {
      own(): string {
        calls.push('own');
        return 'ok';
      }
    }
    peer.params.getRemote = new Remote();
    await peer.handleMessage({ type: 'param', id: 'p', param: 'getRemote' }, undefined);
    const proxyId = (sent[0]?.result as { __remote_proxy_id: string }).__remote_proxy_id;
    for (const method of [...INHERITED, '__lookupGetter__', 'call', 'apply', 'bind', 'missing']) {
      sent.length = 0;
      await peer.handleMessage({ type: 'apply', id: `a-${method}`, proxyId, method, args: [] }, undefined);
      assert.equal(sent[0]?.throw, true, `${method} was called`);
      assert.match(String((sent[0]?.result as { __serialized_value: { message: string } }).__serialized_value.message), /has no method/);
    }
    sent.length = 0;
    await peer.handleMessage({ type: 'apply', id: 'ok', proxyId, method: 'own', args: [] }, undefined);
    assert.deepEqual(sent[0], { type: 'result', id: 'ok', result: 'ok' });
    assert.deepEqual(calls, ['own']);
  });

  it('a remote proxy reads only its own static props, never inherited ones', () => {
    const { peer, sent } = recordingPeer();
    const proxy = peer.deserialize(
      { __remote_proxy_id: 'r1', __remote_proxy_finalizer_id: 'r1', __remote_constructor_name: 'X', __remote_proxy_props: JSON.parse('{"__proto__":{"polluted":1},"mimeType":"video/mp4"}') },
      undefined,
    ) as Record<string, unknown>;
    assert.equal(proxy.mimeType, 'video/mp4');
    assert.equal(typeof proxy.polluted, 'function', 'an inherited prop was returned as static');
    assert.notEqual(proxy.toString, Object.prototype.toString);
    assert.notEqual(proxy.hasOwnProperty, Object.prototype.hasOwnProperty);
    assert.equal(sent.length, 0);
    const weird = peer.deserialize({ __remote_proxy_id: 'r2', __remote_proxy_finalizer_id: 'r2', __remote_constructor_name: 'X', __remote_proxy_props: 'str', __remote_proxy_oneway_methods: 5 }, undefined) as Record<string, unknown>;
    assert.equal(typeof weird.length, 'function');
  });

  it('a remote error reads only string fields (a hostile message object never runs)', () => {
    const { peer } = recordingPeer();
    const error = peer.deserialize({ __remote_constructor_name: 'RPCResultError', __serialized_value: { message: { toString: 1 }, name: ['x'], stack: 7 } }, undefined) as Error;
    assert.equal(error.message, 'remote error');
    const none = peer.deserialize({ __remote_constructor_name: 'RPCResultError', __serialized_value: null }, undefined) as Error;
    assert.equal(none.message, 'remote error');
  });

  it('messages of the wrong shape never throw; each is reported', async () => {
    const { peer, sent, bad } = recordingPeer();
    const messages = [null, 5, 'x', [], {}, { type: 5 }, { type: 'nope' }, { type: 'result', id: {} }, { type: 'finalize', __local_proxy_id: {} },
      { type: 'apply', id: 'a', proxyId: {}, method: 'x' }, { type: 'apply', id: 'b', proxyId: 'none', args: 'x' }, { type: 'param', id: 'c', param: {} }];
    for (const message of messages) await peer.handleMessage(message as RpcMessage, undefined);
    assert.ok(bad.length >= 6, bad.join('\n'));
    // Applies get an error result (the caller would otherwise wait), never a crash.
    assert.ok(sent.filter((message) => message.throw === true).length >= 2);
  });
});

describe('framing: a text frame that is not a message', () => {
  const frames: Array<[string, RegExp]> = [
    ['not json {', /not JSON/], ['null', /JSON null/], ['42', /JSON number/], ['"text"', /JSON string/], ['[]', /JSON list/],
    ['true', /JSON boolean/], ['{}', /without a string type/], ['{"type":5}', /without a string type/], ['', /not JSON/],
  ];
  for (const [frame, reason] of frames) {
    it(`${JSON.stringify(frame)} is refused (${reason.source}) and drops the buffers before it`, () => {
      assert.match(parseMessage(frame) as string, reason);
      const delivered: Array<Buffer[] | undefined> = [];
      const refused: string[] = [];
      const receive = frameReceiver((_message, buffers) => delivered.push(buffers), (why) => refused.push(why));
      receive(Buffer.from('sideband'));
      assert.doesNotThrow(() => receive(frame));
      receive('{"type":"result","id":"x"}');
      assert.equal(refused.length, 1);
      assert.deepEqual(delivered, [undefined]);
    });
  }
});

it('binary frames that never end in a message are dropped once over the sideband cap', () => {
  const delivered: Array<Buffer[] | undefined> = [];
  const refused: string[] = [];
  const receive = frameReceiver((_message, buffers) => delivered.push(buffers), (why) => refused.push(why));
  const frame = Buffer.alloc(1024 * 1024);
  for (let i = 0; i <= MAX_SIDEBAND_BYTES / frame.length; i++) receive(frame);
  assert.equal(refused.length, 1);
  assert.match(refused[0] ?? '', /binary frames of over \d+ bytes without a message/);
  receive(Buffer.from('kept'));
  receive('{"type":"result","id":"x"}');
  assert.deepEqual(delivered, [[Buffer.from('kept')]]);
});
