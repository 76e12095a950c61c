// Value serialization of Scrypted's RPC (docs/scrypted-protocol.md §6): applied to each top-level argument and
// return value only. Plain JSON goes through; Errors, Buffers and objects exported by reference are encoded.

export interface SerializedProxy {
  __remote_proxy_id: string;
  __remote_proxy_finalizer_id: string;
  __remote_constructor_name: string;
  __remote_proxy_props?: Record<string, unknown> | undefined;
  __remote_proxy_oneway_methods?: Array<string | null> | undefined;
}

const TRANSPORT_SAFE = new Set(['Number', 'String', 'Object', 'Boolean', 'Array']);

/** §6 step 3: plain JSON values travel as they are. */
export function isTransportSafe(value: unknown): boolean {
  if (typeof value !== 'object' && typeof value !== 'function') return true;
  const object = value as Record<string | symbol, unknown>;
  const name = (object.constructor as { name?: string } | undefined)?.name;
  return (
    typeof value === 'object' &&
    name !== undefined &&
    TRANSPORT_SAFE.has(name) &&
    object[Symbol.asyncIterator] === undefined &&
    !object.__json_disable_serialization
  );
}

export function serializeError(error: Error): unknown {
  return {
    __remote_constructor_name: 'RPCResultError',
    __serialized_value: { name: error.name, message: error.message, stack: error.stack },
  };
}

/** The peer's error: only its string fields are read (a hostile `message` object never runs its toString). */
export function deserializeError(value: unknown): Error {
  const field = (name: string) => {
    const text = typeof value === 'object' && value !== null && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
    return typeof text === 'string' ? text : undefined;
  };
  const error = new Error(field('message') ?? 'remote error');
  const name = field('name');
  const stack = field('stack');
  if (name) error.name = name;
  if (stack) error.stack = `${stack}\n    at (remote)`;
  return error;
}

/** §6 step 5, the Buffer serializer: the bytes go in the message's sideband list, the JSON holds the index. */
export function serializeBuffer(value: Uint8Array, sideband: Buffer[] | undefined): unknown {
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (!sideband) return { __remote_constructor_name: 'Buffer', __serialized_value: buffer.toString('base64') };
  sideband.push(buffer);
  return { __remote_constructor_name: 'Buffer', __serialized_value: sideband.length - 1 };
}

export function deserializeBuffer(value: unknown, sideband: Buffer[] | undefined): Buffer {
  if (typeof value === 'number') {
    const buffer = sideband?.[value];
    if (!buffer) throw new Error(`sideband buffer ${value} missing from the message`);
    return buffer;
  }
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  throw new Error('malformed Buffer value');
}
