// The device table the server pushes: setSystemState, then updateDeviceState and notify (protocol §7). Every id
// and property name comes from the peer, so the table is Maps all the way down: no key (`__proto__`,
// `constructor`, `toString`) can reach a prototype, and a value is only ever read, never called.

export interface DeviceInfo {
  id: string;
  name: string;
  interfaces: string[];
}

type DeviceState = Map<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A device's properties from the peer's object: its own enumerable keys only. */
function deviceState(device: unknown): DeviceState | undefined {
  return isRecord(device) ? new Map(Object.entries(device)) : undefined;
}

/** The `value` of a property entry `{ value }`, read only when it is the entry's own. */
function valueOf(entry: unknown): unknown {
  return isRecord(entry) && Object.hasOwn(entry, 'value') ? entry.value : undefined;
}

export class DeviceTable {
  private devices = new Map<string, DeviceState>();

  replace(state: unknown): void {
    const devices = new Map<string, DeviceState>();
    if (isRecord(state)) {
      for (const [id, device] of Object.entries(state)) {
        const properties = deviceState(device);
        if (properties) devices.set(id, properties);
      }
    }
    this.devices = devices;
  }

  update(id: unknown, device: unknown): void {
    if (typeof id !== 'string') return;
    const properties = deviceState(device);
    if (properties) this.devices.set(id, properties);
    else this.devices.delete(id);
  }

  /** A property change of a known device; one for a device not in the table is ignored, as the real client does. */
  setProperty(id: unknown, property: unknown, entry: unknown): void {
    if (typeof id !== 'string' || typeof property !== 'string') return;
    this.devices.get(id)?.set(property, entry);
  }

  list(): DeviceInfo[] {
    return [...this.devices].map(([id, device]) => {
      const name = valueOf(device.get('name'));
      const interfaces = valueOf(device.get('interfaces'));
      return {
        id,
        name: typeof name === 'string' ? name : id,
        interfaces: Array.isArray(interfaces) ? interfaces.filter((entry): entry is string => typeof entry === 'string') : [],
      };
    });
  }
}
