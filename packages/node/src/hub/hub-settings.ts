import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkEndpoint, DEFAULT_HUB_ENDPOINT, HubError } from '@imagegpt/core/hub';

/** Environment variables, as `process.env` holds them; tests pass their own. */
export type HubEnv = Readonly<Record<string, string | undefined>>;

/** The options of a hub download that the environment can also set. */
export interface HubSettingsOptions {
  /** A token to send; `false` sends none, even if `HF_TOKEN` or a token file has one. */
  readonly token?: string | false;
  /** The hub cache folder; default `HF_HUB_CACHE`, else `HF_HOME/hub`, else `XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. */
  readonly cacheDir?: string;
  /** Use the cache only, never the network (as `HF_HUB_OFFLINE=1` or `TRANSFORMERS_OFFLINE=1`). */
  readonly localFilesOnly?: boolean;
  /** The hub's base URL; default `HF_ENDPOINT`, else https://huggingface.co. */
  readonly endpoint?: string;
  /** Environment variables to read instead of `process.env`. */
  readonly env?: HubEnv;
}

/** Everything a download needs to know from the options and the environment, resolved once. */
export interface HubSettings {
  readonly cacheDir: string;
  readonly endpoint: string;
  readonly offline: boolean;
  /** The token to send, if any. */
  readonly token?: string;
  /** Where the token came from, for messages: `option`, `HF_TOKEN` or the token file's path. */
  readonly tokenSource?: string;
  /** Seconds without a byte before a download is retried (`HF_HUB_DOWNLOAD_TIMEOUT`, default 10). */
  readonly downloadTimeoutMs: number;
  /** Seconds to wait for the answer to a metadata request (`HF_HUB_ETAG_TIMEOUT`, default 10). */
  readonly metadataTimeoutMs: number;
}

/** huggingface_hub's truthy spellings of a boolean variable. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

/** `~` and `~/…` → the home folder, as Python's `os.path.expanduser` does for these paths. */
function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** A non-empty variable, else undefined (an empty `HF_HOME=` means unset, as in Python's `or`). */
function nonEmpty(env: HubEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `HF_HOME`, else `XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: HubEnv = process.env): string {
  const home = nonEmpty(env, 'HF_HOME');
  if (home !== undefined) return resolve(expandHome(home));
  return resolve(expandHome(nonEmpty(env, 'XDG_CACHE_HOME') ?? join(homedir(), '.cache')), 'huggingface');
}

/**
 * The hub cache folder Python's huggingface_hub uses, so both tools share one: `HF_HUB_CACHE`, else
 * the older `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub` (see {@link hfHome}).
 */
export function hubCacheDir(env: HubEnv = process.env): string {
  const dir = nonEmpty(env, 'HF_HUB_CACHE') ?? nonEmpty(env, 'HUGGINGFACE_HUB_CACHE');
  return dir === undefined ? join(hfHome(env), 'hub') : resolve(expandHome(dir));
}

/** Whether `HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE` turns the network off. */
export function isHubOffline(env: HubEnv = process.env): boolean {
  return isTrue(env.HF_HUB_OFFLINE) || isTrue(env.TRANSFORMERS_OFFLINE);
}

/** A timeout variable in seconds (fractions allowed) → milliseconds; `fallback` when unset. */
function seconds(env: HubEnv, name: string, fallback: number): number {
  const value = nonEmpty(env, name);
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new HubError(`${name}=${JSON.stringify(value)} is not a positive number of seconds`, {
      reason: 'invalid',
    });
  }
  return n * 1000;
}

/**
 * The token to send: the option, else `HF_TOKEN`, else the file at `HF_TOKEN_PATH` or
 * `HF_HOME/token` (what `huggingface-cli login` writes); none with `token: false` or when
 * `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set and no option gives one.
 */
export function hubToken(
  option: string | false | undefined,
  env: HubEnv = process.env,
): { token: string; source: string } | undefined {
  if (option === false) return undefined;
  if (typeof option === 'string' && option.trim() !== '')
    return { token: option.trim(), source: 'the token option' };
  if (isTrue(env.HF_HUB_DISABLE_IMPLICIT_TOKEN)) return undefined;
  const fromEnv = nonEmpty(env, 'HF_TOKEN')?.trim();
  if (fromEnv) return { token: fromEnv, source: 'HF_TOKEN' };
  const path = resolve(expandHome(nonEmpty(env, 'HF_TOKEN_PATH') ?? join(hfHome(env), 'token')));
  let text: string;
  try {
    text = readTokenFile(path);
  } catch (e) {
    if (e instanceof HubError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new HubError(
      `the token file ${path} cannot be read (${code ?? String(e)})`,
      { reason: 'invalid' },
      { cause: e },
    );
  }
  const token = text.replace(/\r?\n$/, '').trim();
  return token === '' ? undefined : { token, source: path };
}

/** The most bytes a token file may hold: a token is some tens of characters. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * A token file's text, read as the reading policy reads a model folder: opened without blocking
 * (a FIFO cannot hang it), a regular file only, at most {@link MAX_TOKEN_FILE_BYTES}. Synchronous,
 * as settings are resolved before any request.
 */
function readTokenFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = fstatSync(fd);
    const refuse = (why: string) =>
      new HubError(`the token file ${path} ${why}; HF_TOKEN_PATH names the file to use`, {
        reason: 'invalid',
      });
    if (!info.isFile()) throw refuse('is not a regular file');
    if (info.size > MAX_TOKEN_FILE_BYTES)
      throw refuse(`holds ${info.size} bytes, more than the ${MAX_TOKEN_FILE_BYTES} a token file may`);
    const bytes = Buffer.alloc(info.size);
    let loaded = 0;
    while (loaded < bytes.length) {
      const n = readSync(fd, bytes, loaded, bytes.length - loaded, loaded);
      if (n === 0) break;
      loaded += n;
    }
    return bytes.subarray(0, loaded).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Resolves the options against the environment (see each field of {@link HubSettingsOptions}). */
export function hubSettings(options: HubSettingsOptions = {}): HubSettings {
  const env = options.env ?? process.env;
  const token = hubToken(options.token, env);
  return {
    cacheDir: options.cacheDir === undefined ? hubCacheDir(env) : resolve(expandHome(options.cacheDir)),
    endpoint: checkEndpoint(options.endpoint ?? nonEmpty(env, 'HF_ENDPOINT') ?? DEFAULT_HUB_ENDPOINT),
    offline: options.localFilesOnly === true || isHubOffline(env),
    ...(token === undefined ? {} : { token: token.token, tokenSource: token.source }),
    downloadTimeoutMs: seconds(env, 'HF_HUB_DOWNLOAD_TIMEOUT', 10),
    metadataTimeoutMs: seconds(env, 'HF_HUB_ETAG_TIMEOUT', 10),
  };
}
