import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * Every import specifier of the workspace's packages (each root and each `exports` subpath, subpaths
 * first) → its source file under `src/`.
 */
export function workspaceEntries(): Record<string, string>;

/** The aliases tests resolve the workspace's packages with: {@link workspaceEntries}. */
export function workspaceAliases(): Record<string, string>;

/**
 * The vitest project of one package: workspace aliases, the fast-check seed, tests in `src/` and
 * `test/`, and a timeout that fits the model tests.
 *
 * @example
 * ```ts
 * // packages/core/vitest.config.ts
 * import { packageProject } from '@imagegpt/test-kit/vitest';
 * export default packageProject('@imagegpt/core');
 * ```
 */
export function packageProject(name: string): UserWorkspaceConfig;
