// An RPC peer of Scrypted's protocol (docs/scrypted-protocol.md §5-§6): apply, result, param, finalize; remote proxies
// with static props and oneway methods; objects exported by reference; sideband buffers; remote errors. Both ends
// of a connection are such peers (the real server uses one implementation for both, server/src/rpc.ts).
import { randomBytes } from 'node:crypto';
import {
  deserializeBuffer, deserializeError, isTransportSafe, serializeBuffer, serializeError, type SerializedProxy,
} from './rpc-serializer.js';

export type RpcMessage = Record<string, unknown> & { type: string };
export type SendMessage = (message: RpcMessage, buffers: Buffer[]) => void;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  method: string;
}

interface Exported {
  id: string;
  finalizerId: string;
}

interface RemoteEntry {
  ref: WeakRef<object>;
  holder: { id: string; finalizerId: string };
}

const PROXY_ID = Symbol('proxyId');
const PROXY_PEER = Symbol('proxyPeer');
const newId = () => randomBytes(6).toString('base64url');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The method the peer may call on an object this side exported: one its own class (or the object itself)
 * defines, never one every object or function inherits (`constructor`, `toString`, `__proto__`, `call`, …), and
 * never a getter. The name comes from the peer.
 */
function exportedMethod(target: object, name: unknown): ((...args: unknown[]) => unknown) | undefined {
  if (typeof name !== 'string' || name === 'constructor' || name.startsWith('__')) return undefined;
  for (let level: object | null = target; level && level !== Object.prototype && level !== Function.prototype; level = Object.getPrototypeOf(level) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(level, name);
    if (descriptor) return typeof descriptor.value === 'function' ? (descriptor.value as (...args: unknown[]) => unknown) : undefined;
  }
  return undefined;
}

export class RpcPeer {
  /** Named values the other side may ask for with `param` (e.g. getRemote); no inherited key answers. */
  readonly params: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  private readonly pending = new Map<string, Pending>();
  private readonly exportsByObject = new Map<object, Exported>();
  private readonly exportsById = new Map<string, object>();
  private readonly remotes = new Map<string, RemoteEntry>();
  private readonly finalizers = new FinalizationRegistry<{ id: string; finalizerId: string }>((holder) => this.onCollected(holder));
  private killedBy: Error | undefined;
  /** finalize messages sent (observable by tests). */
  finalizeSent = 0;

  /**
   * @param onBadMessage told (never thrown at) when a message from the peer has the wrong shape; the message is
   *   ignored, and a call it should have answered times out.
   */
  constructor(
    private readonly send: SendMessage,
    private readonly timeoutMs: number,
    private readonly onBadMessage: (reason: string) => void = () => {},
  ) {}

  get killed(): boolean {
    return this.killedBy !== undefined;
  }

  /** Every pending call rejects; later calls reject at once; incoming messages are ignored. */
  kill(reason: Error): void {
    if (this.killedBy) return;
    this.killedBy = reason;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`${reason.message} (pending call ${pending.method})`));
      this.pending.delete(id);
    }
    this.exportsById.clear();
    this.exportsByObject.clear();
  }

  getParam(name: string): Promise<unknown> {
    return this.request({ type: 'param', param: name }, [], `param ${name}`);
  }

  private request(message: RpcMessage, buffers: Buffer[], method: string): Promise<unknown> {
    if (this.killedBy) return Promise.reject(new Error(`${this.killedBy.message} (call ${method})`));
    const id = newId();
    return new Promise((resolve, reject) => {
      const timer = this.timeoutMs > 0
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(new Error(`Scrypted call ${method} timed out after ${this.timeoutMs} ms`));
          }, this.timeoutMs)
        : undefined;
      timer?.unref();
      this.pending.set(id, { resolve, reject, timer, method });
      this.send({ ...message, id }, buffers);
    });
  }

  private invoke(proxyId: string, method: string | null, args: unknown[], oneway: boolean): Promise<unknown> {
    const buffers: Buffer[] = [];
    const message: RpcMessage = { type: 'apply', proxyId, args: args.map((arg) => this.serialize(arg, buffers)), method };
    if (oneway) {
      if (!this.killedBy) this.send({ ...message, oneway: true }, buffers);
      return Promise.resolve(undefined);
    }
    return this.request(message, buffers, method ?? '(call)');
  }

  serialize(value: unknown, sideband: Buffer[] | undefined): unknown {
    if (!value) return value;
    const object = value as Record<string | symbol, unknown>;
    if (object.__json_copy_serialize_children === true) {
      if (Array.isArray(value)) return { __json_copy_serialize_children: value.map((child) => this.serialize(child, sideband)) };
      return Object.fromEntries(Object.entries(object).map(([key, child]) => [key, key === '__json_copy_serialize_children' ? true : this.serialize(child, sideband)]));
    }
    if (isTransportSafe(value)) return value;
    if (value instanceof Error) return serializeError(value);
    if (value instanceof Uint8Array) return serializeBuffer(value, sideband);
    if (object[PROXY_PEER] === this) return { __local_proxy_id: object[PROXY_ID] };
    return this.exportObject(value as object);
  }

  private exportObject(value: object): SerializedProxy {
    const fields = value as Record<string, unknown>;
    let exported = this.exportsByObject.get(value);
    if (exported) exported.finalizerId = newId();
    else {
      const id = newId();
      exported = { id, finalizerId: id };
      this.exportsByObject.set(value, exported);
      this.exportsById.set(id, value);
    }
    const props = { ...(fields.__proxy_props as Record<string, unknown> | undefined) };
    if ((value as Record<symbol, unknown>)[Symbol.asyncIterator]) {
      props['Symbol(Symbol.asyncIterator)'] = { next: 'next', throw: 'throw', return: 'return' };
    }
    return {
      __remote_proxy_id: exported.id,
      __remote_proxy_finalizer_id: exported.finalizerId,
      __remote_constructor_name: (fields.__proxy_constructor as string | undefined) ?? value.constructor?.name ?? 'Object',
      __remote_proxy_props: Object.keys(props).length ? props : undefined,
      __remote_proxy_oneway_methods: fields.__proxy_oneway_methods as Array<string | null> | undefined,
    };
  }

  deserialize(value: unknown, sideband: Buffer[] | undefined): unknown {
    if (!value || typeof value !== 'object') return value;
    const fields = value as Record<string, unknown>;
    if (fields.__json_copy_serialize_children !== undefined) {
      const children = fields.__json_copy_serialize_children;
      if (Array.isArray(children)) return children.map((child) => this.deserialize(child, sideband));
      return Object.fromEntries(Object.entries(fields).filter(([key]) => key !== '__json_copy_serialize_children').map(([key, child]) => [key, this.deserialize(child, sideband)]));
    }
    if (fields.__remote_constructor_name === 'RPCResultError') return deserializeError(fields.__serialized_value);
    if (typeof fields.__remote_proxy_id === 'string') return this.remoteProxy(value as SerializedProxy);
    if (typeof fields.__local_proxy_id === 'string') {
      const local = this.exportsById.get(fields.__local_proxy_id);
      if (!local) throw new Error(`invalid local proxy id ${fields.__local_proxy_id}`);
      return local;
    }
    if (fields.__remote_constructor_name === 'Buffer') return deserializeBuffer(fields.__serialized_value, sideband);
    return value;
  }

  private remoteProxy(description: SerializedProxy): object {
    const id = description.__remote_proxy_id;
    const existing = this.remotes.get(id);
    const alive = existing?.ref.deref();
    if (existing && alive) {
      existing.holder.finalizerId = description.__remote_proxy_finalizer_id;
      return alive;
    }
    const props = isRecord(description.__remote_proxy_props) ? description.__remote_proxy_props : {};
    const oneway = new Set(Array.isArray(description.__remote_proxy_oneway_methods) ? description.__remote_proxy_oneway_methods : []);
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    const target = function remote() {};
    const proxy = new Proxy(target, {
      get: (_target, property) => {
        if (property === PROXY_ID) return id;
        if (property === PROXY_PEER) return this;
        if (typeof property === 'symbol' || property === 'then' || property === 'constructor') return undefined;
        if (property === '__proxy_constructor') return description.__remote_constructor_name;
        if (Object.hasOwn(props, property) && props[property] !== undefined) return props[property];
        let method = methods.get(property);
        if (!method) {
          method = (...args: unknown[]) => this.invoke(id, property, args, oneway.has(property));
          methods.set(property, method);
        }
        return method;
      },
      apply: (_target, _this, args: unknown[]) => this.invoke(id, null, args, oneway.has(null)),
    });
    const holder = { id, finalizerId: description.__remote_proxy_finalizer_id };
    this.remotes.set(id, { ref: new WeakRef(proxy), holder });
    this.finalizers.register(proxy, holder);
    return proxy;
  }

  /** §6: a collected proxy tells the owner with `finalize`, so its export does not leak on the server. */
  private onCollected(holder: { id: string; finalizerId: string }): void {
    const entry = this.remotes.get(holder.id);
    if (entry && entry.holder !== holder) return;
    this.remotes.delete(holder.id);
    if (this.killedBy) return;
    this.finalizeSent += 1;
    this.send({ type: 'finalize', __local_proxy_id: holder.id, __local_proxy_finalizer_id: holder.finalizerId }, []);
  }

  /** Handles one incoming message with the sideband buffers that preceded it; never throws. */
  async handleMessage(message: RpcMessage, buffers: Buffer[] | undefined): Promise<void> {
    try {
      await this.dispatch(message, buffers);
    } catch (error) {
      this.onBadMessage(`a ${JSON.stringify(String(message?.type).slice(0, 20))} message could not be handled: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  private async dispatch(message: RpcMessage, buffers: Buffer[] | undefined): Promise<void> {
    if (this.killedBy) return;
    if (!isRecord(message) || typeof message.type !== 'string') {
      this.onBadMessage('a message that is not an object with a type');
      return;
    }
    switch (message.type) {
      case 'param': {
        const name = message.param;
        const value = typeof name === 'string' && Object.hasOwn(this.params, name) ? this.params[name] : undefined;
        const out: Buffer[] = [];
        const result = this.serialize(value, out);
        this.send(result === undefined ? { type: 'result', id: message.id } : { type: 'result', id: message.id, result }, out);
        return;
      }
      case 'apply':
        return this.handleApply(message, buffers);
      case 'result': {
        const pending = this.pending.get(message.id as string);
        if (!pending) return;
        this.pending.delete(message.id as string);
        clearTimeout(pending.timer);
        try {
          const value = this.deserialize(message.result, buffers);
          if (message.throw) pending.reject(value instanceof Error ? value : new Error(String(value)));
          else pending.resolve(value);
        } catch (error) {
          pending.reject(error as Error);
        }
        return;
      }
      case 'finalize': {
        const id = message.__local_proxy_id as string;
        const object = this.exportsById.get(id);
        const exported = object && this.exportsByObject.get(object);
        if (!object || !exported) return;
        const finalizerId = message.__local_proxy_finalizer_id as string | undefined;
        if (finalizerId && finalizerId !== exported.finalizerId) return;
        this.exportsById.delete(id);
        this.exportsByObject.delete(object);
        return;
      }
      default:
        this.onBadMessage(`a message of unknown type ${JSON.stringify(message.type.slice(0, 40))}`);
        return;
    }
  }

  /** How many objects this peer currently exports (observable by tests: finalize must shrink it). */
  get exportCount(): number {
    return this.exportsById.size;
  }

  private async handleApply(message: RpcMessage, buffers: Buffer[] | undefined): Promise<void> {
    const reply = (fields: Record<string, unknown>, out: Buffer[] = []) => {
      if (!message.oneway && !this.killedBy) this.send({ type: 'result', id: message.id, ...fields }, out);
    };
    try {
      const target = typeof message.proxyId === 'string' ? this.exportsById.get(message.proxyId) : undefined;
      if (!target) throw new Error(`proxy id ${String(message.proxyId).slice(0, 40)} not found`);
      if (message.args !== undefined && !Array.isArray(message.args)) throw new Error('args is not a list');
      const args = ((message.args as unknown[] | undefined) ?? []).map((arg) => this.deserialize(arg, buffers));
      const method = message.method;
      let value: unknown;
      if (method !== null && method !== undefined) {
        const fn = exportedMethod(target, method);
        if (!fn) throw new Error(`the exported object has no method ${JSON.stringify(String(method).slice(0, 40))}`);
        value = await fn.apply(target, args);
      } else {
        if (typeof target !== 'function') throw new Error('the exported object is not a function');
        value = await (target as unknown as (...a: unknown[]) => unknown)(...args);
      }
      const out: Buffer[] = [];
      const result = this.serialize(value, out);
      reply(result === undefined ? {} : { result }, out);
    } catch (error) {
      reply({ result: serializeError(error instanceof Error ? error : new Error(String(error))), throw: true });
    }
  }
}
