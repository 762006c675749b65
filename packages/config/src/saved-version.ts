/**
 * The transformers version written into saved files: the reference commit's (134caef, 4.31.0.dev0),
 * whose file layout the writers here follow.
 */
export const SAVED_TRANSFORMERS_VERSION = '4.31.0.dev0';
