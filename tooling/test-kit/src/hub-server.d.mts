/** One request the stand-in hub saw. */
export interface HubRequest {
  /** `hub` (the endpoint) or `lfs` (the large-file host). */
  readonly host: 'hub' | 'lfs';
  readonly method: string;
  /** The decoded URL path. */
  readonly path: string;
  /** The raw URL as requested. */
  readonly url: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
  readonly acceptEncoding: string | undefined;
}

/** A repo the stand-in serves. */
export interface HubServerRepo {
  /** File name → bytes, or a path to read them from. */
  readonly files: Readonly<Record<string, Uint8Array | string>>;
  /** Revision name → commit; default `main` → a commit made from the repo id. */
  readonly revisions?: Readonly<Record<string, string>>;
  /** The token the repo requires: without one 401, with another 403. */
  readonly token?: string;
}

/** A running stand-in hub. */
export interface HubServer {
  /** `http://127.0.0.1:{port}`: pass as `endpoint` or `HF_ENDPOINT`. */
  readonly endpoint: string;
  /** The large-file host's origin, where large files redirect. */
  readonly largeFileOrigin: string;
  /** Every request seen, in order. */
  readonly requests: HubRequest[];
  commitOf(repo: string, revision?: string): string | undefined;
  sha256Of(repo: string, file: string): string | undefined;
  blobIdOf(repo: string, file: string): string | undefined;
  dropAfter(file: string, bytes: number, times?: number): void;
  stallAfter(file: string, bytes: number, times?: number): void;
  delay(file: string, ms: number, times?: number): void;
  corrupt(file: string, times?: number): void;
  redirectLoop(file: string): void;
  misstateSize(file: string, delta: number): void;
  clearFaults(): void;
  requestsFor(suffix: string, method?: string): HubRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in hub and its large-file host on free ports of 127.0.0.1. */
export function startHubServer(options: {
  repos: Readonly<Record<string, HubServerRepo>>;
}): Promise<HubServer>;
