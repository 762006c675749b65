import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../tooling/scripts/vitest-aliases.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    setupFiles: ['../../tooling/scripts/vitest-setup.ts'],
    name: '@imagegpt/cli',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
