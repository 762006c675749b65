// Shared by the browser test page and the bench page: a backend whose sessions report every run.
import type { BackendSession, HostTensor, ImageGPTBackend, SessionTensor } from '@imagegpt/web';

/**
 * `inner` with `onRun(feeds, outputs)` called after every run of every session it creates (plain
 * and on-device runs alike), so a page can count the bytes that cross between JS and the runtime.
 */
export function observedBackend(
  inner: ImageGPTBackend,
  onRun: (feeds: Record<string, SessionTensor>, outputs: Record<string, SessionTensor>) => void,
): ImageGPTBackend {
  const seen = <T extends Record<string, SessionTensor>>(feeds: Record<string, SessionTensor>, out: T) => {
    onRun(feeds, out);
    return out;
  };
  return {
    name: inner.name,
    keepsOutputsOnDevice: async () => (await inner.keepsOutputsOnDevice?.()) === true,
    async createSession(artifact, options) {
      const session = await inner.createSession(artifact, options);
      const run = session.runOnDevice?.bind(session);
      const observed: BackendSession = {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: async (feeds, fetches) =>
          seen(feeds, await session.run(feeds, fetches)) as Record<string, HostTensor>,
        ...(run === undefined
          ? {}
          : { runOnDevice: async (feeds, fetches) => seen(feeds, await run(feeds, fetches)) }),
        dispose: () => session.dispose(),
      };
      return observed;
    },
  };
}
