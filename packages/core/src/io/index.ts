export type { FileSource } from './file-source.js';
