import { createAbortError } from '@imagegpt/core/generation';
import {
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
  ImageGPTModel,
  type WebPretrainedOptions,
} from '../pretrained.js';
import type {
  LoadedModel,
  WireArgument,
  WireError,
  WireOptions,
  WorkerHeadClass,
  WorkerRequest,
  WorkerResponse,
} from './worker-protocol.js';

/** The scope a host listens on: a dedicated worker's `self` (typed narrowly, without the WebWorker lib). */
export interface WorkerScopeLike {
  onmessage: ((event: MessageEvent<WorkerRequest>) => unknown) | null;
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
}

type AnyModel = ImageGPTModel | ImageGPTForCausalImageModeling | ImageGPTForImageClassification;

const CLASSES: Record<
  WorkerHeadClass,
  { fromPretrained(url: string, o: WebPretrainedOptions): Promise<AnyModel> }
> = {
  ImageGPTModel,
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
};

/** The methods a page may call on each class: the model's own, never the runner or anything internal. */
const METHODS: Record<WorkerHeadClass, ReadonlySet<string>> = {
  ImageGPTModel: new Set(['features', 'featuresByLayer']),
  ImageGPTForCausalImageModeling: new Set(['generate', 'complete', 'nll', 'features', 'featuresByLayer']),
  ImageGPTForImageClassification: new Set(['classify', 'features', 'featuresByLayer']),
};

/** How often a call that can be aborted lets the worker read its messages (an `abort` among them). */
const YIELD_EVERY_MS = 8;

/**
 * A turn of the event loop, so messages that arrived meanwhile are handled: a model's run resolves
 * through microtasks alone, so generation would otherwise hear of an abort only when it ended.
 * A message to itself rather than a timer, which browsers clamp to 4 ms when nested.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

function wireError(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/**
 * The buffers of the typed arrays inside `value` that own their whole buffer, so results move to the
 * page instead of being copied. A view into a larger buffer (such as the runtime's memory) is copied.
 */
function transferables(value: unknown, found: Set<ArrayBuffer> = new Set(), depth = 0): Set<ArrayBuffer> {
  if (depth > 6 || value === null || typeof value !== 'object') return found;
  if (ArrayBuffer.isView(value)) {
    const { buffer } = value;
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength)
      found.add(buffer);
    return found;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value))
    transferables(item, found, depth + 1);
  return found;
}

/**
 * Serves `@imagegpt/web` models to a page from inside a Web Worker: loads them, runs their methods,
 * reports the calls' callbacks as events and aborts on request. The page side is
 * {@link ImageGPTWorker}; the worker script the package ships (`worker-entry.js`) calls this on
 * its `self`. Call it yourself from your own worker script to add to what the worker does.
 *
 * @example
 * // my-worker.ts
 * import { hostImageGPT } from '@imagegpt/web';
 * hostImageGPT(self);
 */
export function hostImageGPT(scope: WorkerScopeLike): void {
  const models = new Map<number, { model: AnyModel; head: WorkerHeadClass }>();
  const aborts = new Map<number, AbortController>();
  let nextModel = 1;

  const post = (message: WorkerResponse, transfer: Transferable[] = []) =>
    scope.postMessage(message, transfer);

  /** Rebuilds an options object: callbacks post events for request `id`, a signal listens for `abort`. */
  const options = (id: number, wire: WireOptions): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...wire.data };
    for (const callback of wire.callbacks) {
      // Events are posted, not awaited: the page paints on its own thread while generation goes on.
      out[callback] = (event: unknown) => post({ kind: 'event', id, callback, event });
    }
    if (wire.signal) {
      const controller = new AbortController();
      aborts.set(id, controller);
      out.signal = controller.signal;
      // Generation awaits a promise onToken returns: every few milliseconds it is a turn of the
      // event loop, in which the abort request can arrive.
      const report = out.onToken as ((event: unknown) => void) | undefined;
      let last = performance.now();
      out.onToken = (event: unknown) => {
        report?.(event);
        if (performance.now() - last < YIELD_EVERY_MS) return undefined;
        return nextTask().then(() => {
          last = performance.now();
        });
      };
    }
    return out;
  };
  const argument = (id: number, arg: WireArgument) =>
    'options' in arg ? options(id, arg.options) : arg.value;

  const handle = async (request: WorkerRequest): Promise<unknown> => {
    switch (request.kind) {
      case 'load': {
        const cls = CLASSES[request.head];
        if (cls === undefined) throw new TypeError(`hostImageGPT: no model class ${String(request.head)}`);
        const model = await cls.fromPretrained(request.url, options(request.id, request.options));
        const handle = nextModel++;
        models.set(handle, { model, head: request.head });
        const loaded: LoadedModel = {
          model: handle,
          config: model.config.toJSONString(),
          ...(model.processor === undefined ? {} : { processor: model.processor.toJSONString() }),
        };
        return loaded;
      }
      case 'call': {
        const entry = models.get(request.model);
        if (entry === undefined)
          throw new Error(`hostImageGPT: model ${request.model} is disposed or was never loaded`);
        if (!METHODS[entry.head].has(request.method))
          throw new TypeError(`hostImageGPT: ${entry.head} has no method ${request.method} a page may call`);
        const method = (entry.model as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
          request.method
        ] as (...args: unknown[]) => Promise<unknown>;
        return method.apply(
          entry.model,
          request.args.map((arg) => argument(request.id, arg)),
        );
      }
      case 'dispose': {
        const entry = models.get(request.model);
        models.delete(request.model);
        await entry?.model.dispose();
        return undefined;
      }
      case 'abort':
        aborts.get(request.id)?.abort(createAbortError());
        return undefined;
    }
  };

  scope.onmessage = (event) => {
    const request = event.data;
    if (request.kind === 'abort') {
      void handle(request);
      return;
    }
    handle(request)
      .then(
        (value) => post({ kind: 'result', id: request.id, value }, [...transferables(value)]),
        (error: unknown) => post({ kind: 'error', id: request.id, error: wireError(error) }),
      )
      .finally(() => aborts.delete(request.id));
  };
}
