import type {
  BackendSession,
  DeviceTensor,
  HostTensor,
  ImageGPTBackend,
  SessionTensor,
} from '@imagegpt/core';
import { isDeviceTensor } from '@imagegpt/core';

// A backend that plays a device with its own memory (WebGPU's gpu-buffer outputs) over a CPU
// backend: outputs it is told to keep come back as opaque DeviceTensors, which the caller must feed
// back without reading (a read is counted) and dispose (the live set shows what was not).

/** Host bytes that came back from the device session, per run; DeviceTensors read back, in total; the live ones. */
export interface Traffic {
  hostBytesBack: number[];
  readBacks: number;
  live: Set<DeviceTensor>;
}

/**
 * `inner` as a device backend (`keepsOutputsOnDevice` true): sessions keep the outputs named in
 * `keepOnDevice` as DeviceTensors; `traffic` records what crossed back to the host.
 */
export function deviceBackend(inner: ImageGPTBackend): { backend: ImageGPTBackend; traffic: Traffic } {
  const traffic: Traffic = { hostBytesBack: [], readBacks: 0, live: new Set() };
  const onDevice = (t: HostTensor): DeviceTensor => {
    const tensor: DeviceTensor = {
      location: 'device',
      type: t.type,
      dims: t.dims,
      read: async () => {
        traffic.readBacks++;
        return t;
      },
      dispose: () => {
        traffic.live.delete(tensor);
      },
    };
    traffic.live.add(tensor);
    hosted.set(tensor, t);
    return tensor;
  };
  const hosted = new WeakMap<DeviceTensor, HostTensor>();
  const backend: ImageGPTBackend = {
    name: 'device (emulated)',
    keepsOutputsOnDevice: async () => true,
    async createSession(artifact, options = {}) {
      const session = await inner.createSession(artifact, options);
      const keep = new Set(options.keepOnDevice ?? []);
      const wrapped: BackendSession = {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds, fetches) => session.run(feeds, fetches),
        async runOnDevice(feeds, fetches) {
          const host: Record<string, HostTensor> = {};
          for (const [name, t] of Object.entries(feeds)) {
            if (!isDeviceTensor(t)) host[name] = t;
            else {
              const inner = hosted.get(t);
              if (inner === undefined || !traffic.live.has(t)) throw new Error(`feed ${name} was disposed`);
              host[name] = inner;
            }
          }
          const out = await session.run(host, fetches);
          const result: Record<string, SessionTensor> = {};
          let back = 0;
          for (const [name, t] of Object.entries(out)) {
            if (keep.has(name)) result[name] = onDevice(t);
            else {
              result[name] = t;
              back += t.data.byteLength;
            }
          }
          traffic.hostBytesBack.push(back);
          return result;
        },
        dispose: () => session.dispose(),
      };
      return wrapped;
    },
  };
  return { backend, traffic };
}
