// A Web Worker running @imagegpt/web: no DOM there, so importing and generating here shows the
// package needs nothing but what workers have (fetch, WebAssembly, OffscreenCanvas).
import { ImageGPTForCausalImageModeling } from '@imagegpt/web';

self.onmessage = async (e: MessageEvent<{ modelUrl: string }>) => {
  try {
    const model = await ImageGPTForCausalImageModeling.fromPretrained(e.data.modelUrl, { cache: false });
    const { sequences } = await model.generate({ doSample: true, seed: 7, maxLength: 1 + 16 * 4 });
    await model.dispose();
    self.postMessage({
      sequences,
      hasDocument: typeof (globalThis as { document?: unknown }).document !== 'undefined',
    });
  } catch (error) {
    self.postMessage({
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      hasDocument: false,
    });
  }
};
