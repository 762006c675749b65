/** What an {@link ImageError} knows about the fault. */
export interface ImageErrorDetails {
  /** Where the image came from (a file name, an index in a batch); named in the message when given. */
  readonly source?: string;
}

/**
 * Thrown when an image (or a token sequence meant to become one) is unusable: zero size, an
 * unsupported channel count, a pixel buffer of the wrong length, or token ids outside the palette.
 * The message names the image and what was expected.
 *
 * @example
 * try { toRGB({ width: 0, height: 4, channels: 3, data: new Uint8Array(0) }); }
 * catch (e) { if (e instanceof ImageError) console.log(e.message); }
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  /** Where the image came from, when the caller said. */
  readonly source?: string;

  constructor(message: string, details: ImageErrorDetails = {}, options?: ErrorOptions) {
    super(details.source === undefined ? message : `${details.source}: ${message}`, options);
    if (details.source !== undefined) this.source = details.source;
  }
}
