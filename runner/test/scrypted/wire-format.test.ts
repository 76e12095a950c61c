// The serializer against messages captured from a real Scrypted server (docs/scrypted-protocol.md §5), so the client
// and the test server (which share the peer, as the real server and client share rpc.ts) cannot agree on a
// wrong format.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RpcPeer, type RpcMessage } from '../../src/scrypted/rpc-peer.js';

function peerRecording() {
  const sent: Array<{ message: RpcMessage; buffers: Buffer[] }> = [];
  const peer = new RpcPeer((message, buffers) => sent.push({ message, buffers }), 1000);
  return { peer, sent };
}

it('answers the server\'s param getRemote with an exported AsyncFunction', async () => {
  const { peer, sent } = peerRecording();
  peer.params.getRemote = async () => ({});
  await peer.handleMessage({ id: 'ZvCYz5Vn', type: 'param', param: 'getRemote' }, undefined);
  const reply = sent[0]?.message as Record<string, unknown>;
  assert.equal(reply.type, 'result');
  assert.equal(reply.id, 'ZvCYz5Vn');
  const result = reply.result as Record<string, unknown>;
  assert.equal(result.__remote_constructor_name, 'AsyncFunction');
  assert.equal(result.__remote_proxy_id, result.__remote_proxy_finalizer_id);
});

it('reads a captured MediaObject proxy: static props without a round trip, then/constructor undefined', () => {
  const { peer, sent } = peerRecording();
  const mediaObject = peer.deserialize(
    { __remote_proxy_id: 'Lgx7rUEG', __remote_proxy_finalizer_id: 'Lgx7rUEG', __remote_constructor_name: 'MediaObject',
      __remote_proxy_props: { sourceId: '1', mimeType: 'x-scrypted/x-scrypted-scheme-file', convert: null, toMimeTypes: null } },
    undefined,
  ) as Record<string, unknown>;
  assert.equal(mediaObject.mimeType, 'x-scrypted/x-scrypted-scheme-file');
  assert.equal(mediaObject.then, undefined);
  assert.equal(mediaObject.constructor, undefined);
  assert.equal(sent.length, 0);
  // Passing it back sends {"__local_proxy_id":"Lgx7rUEG"}, as the captured convertMediaObject call does.
  assert.deepEqual(peer.serialize(mediaObject, []), { __local_proxy_id: 'Lgx7rUEG' });
});

it('decodes a captured sideband Buffer result, a captured remote error, and a void result', async () => {
  const { peer } = peerRecording();
  const device = peer.deserialize({ __remote_proxy_id: 'MtZoh8BJ', __remote_proxy_finalizer_id: 'MtZoh8BJ', __remote_constructor_name: 'Device' }, undefined) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const sent: RpcMessage[] = [];
  const recorder = new RpcPeer((message) => sent.push(message), 1000);
  const proxy = recorder.deserialize({ __remote_proxy_id: 'p1', __remote_proxy_finalizer_id: 'p1', __remote_constructor_name: 'X' }, undefined) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const bufferCall = proxy.a!();
  const errorCall = proxy.b!();
  const voidCall = proxy.c!();
  const [a, b, c] = sent.map((m) => m.id as string);
  const frame = Buffer.alloc(71908, 7);
  await recorder.handleMessage({ type: 'result', id: a, result: { __remote_constructor_name: 'Buffer', __serialized_value: 0 } }, [frame]);
  await recorder.handleMessage({ type: 'result', id: b, result: { __remote_constructor_name: 'RPCResultError', __serialized_value: { stack: 'Error: removeVideoClips is not supported…', name: 'Error', message: 'removeVideoClips is not supported by the fixture' } }, throw: true }, undefined);
  await recorder.handleMessage({ type: 'result', id: c }, undefined);
  assert.equal(((await bufferCall) as Buffer).length, 71908);
  await assert.rejects(errorCall, /removeVideoClips is not supported by the fixture/);
  assert.equal(await voidCall, undefined);
  assert.equal(typeof device.getVideoClips, 'function');
});

it('sends oneway calls without an id, and buffers as sideband frames', () => {
  const sent: Array<{ message: RpcMessage; buffers: Buffer[] }> = [];
  const peer = new RpcPeer((message, buffers) => sent.push({ message, buffers }), 1000);
  const remote = peer.deserialize({ __remote_proxy_id: 'I1-IcqC4', __remote_proxy_finalizer_id: 'I1-IcqC4', __remote_constructor_name: 'ClientRemote', __remote_proxy_oneway_methods: ['notify', 'setSystemState'] }, undefined) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  void remote.setSystemState!({ '1': { name: { value: 'x' } } });
  assert.deepEqual(sent[0]?.message, { type: 'apply', proxyId: 'I1-IcqC4', args: [{ '1': { name: { value: 'x' } } }], method: 'setSystemState', oneway: true });
  void remote.notify!(Buffer.from('abc')).catch(() => undefined);
  assert.deepEqual(sent[1]?.message.args, [{ __remote_constructor_name: 'Buffer', __serialized_value: 0 }]);
  assert.equal(sent[1]?.buffers[0]?.toString(), 'abc');
});
