/** One case folder of the golden set. */
export interface GoldenCaseEntry {
  readonly name: string;
  readonly dir: string;
  readonly kind: 'model' | 'processor';
  /** Why the code cannot pass it yet, when it is in {@link PENDING}. */
  readonly pending: string | undefined;
}
/** Cases the code cannot pass yet, with the issue that will make them pass. */
export const PENDING: Readonly<Record<string, string>>;
/** The repository root: the nearest folder above the kit that holds pnpm-workspace.yaml. */
export const REPO_ROOT: string;
/** The shared data folder: `IGPT_SHARED` when set, else `shared` beside the repository root. */
export function sharedDir(): string;
/** A file or folder of the shared data; a missing one is an error, never a skip. */
export function sharedPath(...parts: string[]): string;
/** The golden set's folder; a missing folder is an error. */
export function goldenDir(): string;
/** One case folder of the golden set, by name; a missing one is an error. */
export function goldenCaseDir(name: string): string;
/** Every case of the golden set, sorted by name. */
export function goldenCases(): GoldenCaseEntry[];
