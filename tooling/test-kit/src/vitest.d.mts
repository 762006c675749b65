import type { UserWorkspaceConfig } from 'vitest/config';

/** `@imagegpt/<name>` → its `src/index.ts`, for every package under packages/. */
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
