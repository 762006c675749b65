import { packageProject } from '@imagegpt/test-kit/vitest';

export default packageProject('@imagegpt/packaging');
