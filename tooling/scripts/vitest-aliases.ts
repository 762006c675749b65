import { fileURLToPath } from 'node:url';

// Tests import sibling packages from source, so a change is seen without a rebuild.
const pkg = (dir: string) => fileURLToPath(new URL(`../../packages/${dir}/src/index.ts`, import.meta.url));

export const workspaceAliases: Record<string, string> = {
  '@imagegpt/config': pkg('config'),
  '@imagegpt/processor': pkg('processor'),
  '@imagegpt/core': pkg('core'),
  '@imagegpt/heads': pkg('heads'),
  '@imagegpt/node': pkg('node'),
  '@imagegpt/web': pkg('web'),
  '@imagegpt/model-mnist-16': pkg('models'),
};
