/** What a {@link WebError} knows about the fault. */
export interface WebErrorDetails {
  /** The URL that failed, when the fault is a download. */
  readonly url?: string;
  /** The HTTP status of the failed response, when there was one. */
  readonly status?: number;
}

/**
 * Thrown by `@imagegpt/web` when a download fails (the message names the URL and the HTTP status),
 * when a runtime setting cannot be honoured (WebGPU missing, a model too large for wasm memory),
 * or when a browser API the call needs is absent.
 *
 * @example
 * try { await files.read('model.safetensors'); }
 * catch (e) { if (e instanceof WebError && e.status === 404) console.log(`missing: ${e.url}`); }
 */
export class WebError extends Error {
  override readonly name = 'WebError';
  /** The URL that failed, when the fault is a download. */
  readonly url?: string;
  /** The HTTP status of the failed response, when there was one. */
  readonly status?: number;

  constructor(message: string, details: WebErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    if (details.url !== undefined) this.url = details.url;
    if (details.status !== undefined) this.status = details.status;
  }
}
