// The messages between a page and the Web Worker that hosts its models (worker-host.ts). Everything
// here is structured-cloneable: functions stay on their side, and the calls that need one (progress,
// rows, tokens) are stood in for by the name of the callback, which the host answers with events.

/** Which model class the worker loads (the web package's classes of the same names). */
export type WorkerHeadClass =
  | 'ImageGPTModel'
  | 'ImageGPTForCausalImageModeling'
  | 'ImageGPTForImageClassification';

/** The option callbacks a call may pass; the worker reports each as an {@link WorkerEvent}. */
export const WORKER_CALLBACKS = ['onProgress', 'onRow', 'onToken'] as const;

/** One of {@link WORKER_CALLBACKS}. */
export type WorkerCallback = (typeof WORKER_CALLBACKS)[number];

/**
 * An options object as it crosses: its data fields as given, the callbacks it had listed by name,
 * and whether it carried an `AbortSignal` (which the page forwards as an `abort` request).
 */
export interface WireOptions {
  readonly data: Record<string, unknown>;
  readonly callbacks: readonly WorkerCallback[];
  readonly signal: boolean;
}

/** An argument of a call: plain data, or an options object with callbacks. */
export type WireArgument = { readonly value: unknown } | { readonly options: WireOptions };

/** What the page asks of the worker. */
export type WorkerRequest =
  | {
      readonly kind: 'load';
      readonly id: number;
      readonly head: WorkerHeadClass;
      readonly url: string;
      readonly options: WireOptions;
    }
  | {
      readonly kind: 'call';
      readonly id: number;
      readonly model: number;
      readonly method: string;
      readonly args: readonly WireArgument[];
    }
  | { readonly kind: 'abort'; readonly id: number }
  | { readonly kind: 'dispose'; readonly id: number; readonly model: number };

/** An error as it crosses: its name (AbortError, WebError, ...) and message. */
export interface WireError {
  readonly name: string;
  readonly message: string;
}

/** What a loaded model tells the page about itself. */
export interface LoadedModel {
  readonly model: number;
  /** config.json as the model has it (ImageGPTConfig.toJSONString). */
  readonly config: string;
  /** preprocessor_config.json, when the model has an image processor. */
  readonly processor?: string;
}

/** A callback's call, reported while its request runs. */
export interface WorkerEvent {
  readonly kind: 'event';
  readonly id: number;
  readonly callback: WorkerCallback;
  readonly event: unknown;
}

/** What the worker answers: events while a request runs, then its result or its error. */
export type WorkerResponse =
  | WorkerEvent
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: WireError };
