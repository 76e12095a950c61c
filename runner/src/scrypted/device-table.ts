// The device table the server pushes: setSystemState, then updateDeviceState and notify (protocol §7).
export type SystemState = Record<string, Record<string, { value?: unknown } | undefined>>;

export interface DeviceInfo {
  id: string;
  name: string;
  interfaces: string[];
}

export class DeviceTable {
  private state: SystemState = {};

  replace(state: SystemState): void {
    this.state = { ...state };
  }

  update(id: string, device: SystemState[string] | undefined): void {
    if (device === undefined) delete this.state[id];
    else this.state[id] = device;
  }

  setProperty(id: string, property: string, entry: unknown): void {
    const device = (this.state[id] ??= {});
    device[property] = entry as { value?: unknown };
  }

  list(): DeviceInfo[] {
    return Object.entries(this.state).map(([id, device]) => ({
      id,
      name: typeof device?.name?.value === 'string' ? device.name.value : id,
      interfaces: Array.isArray(device?.interfaces?.value) ? (device.interfaces.value as string[]) : [],
    }));
  }
}
