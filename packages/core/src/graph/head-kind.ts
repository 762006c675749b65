import type { ModelHead } from '@imagegpt/config';

/**
 * Which model sits on the trunk.
 *
 * @deprecated The same union as `ModelHead` from `@imagegpt/config` (which `@imagegpt/node` and
 * `@imagegpt/web` re-export); use that. This alias goes in the next minor release.
 */
export type HeadKind = ModelHead;
