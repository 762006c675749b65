/** One case folder of the golden set. */
export interface GoldenCaseEntry {
  readonly name: string;
  readonly dir: string;
  readonly kind: 'model' | 'processor';
  /** Why the code cannot pass it yet, when it is in {@link PENDING}. */
  readonly pending: string | undefined;
}
export const PENDING: Readonly<Record<string, string>>;
export function sharedDir(): string;
export function goldenDir(): string;
export function goldenCases(): GoldenCaseEntry[];
