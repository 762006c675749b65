import { defineConfig } from 'vitest/config';

// One vitest project per package; `vitest run` at the root runs them all.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/cli', 'tooling/test-kit', 'tooling/packaging'],
  },
});
