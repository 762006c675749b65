// Test models and cases are read from folders with the library's own folder source: the one
// implementation users get from @imagegpt/node, not a second one written for tests.
import { NodeFileSource } from '@imagegpt/node';

/** A `FileSource` over a folder on disk: `@imagegpt/node`'s NodeFileSource. */
export function folderSource(dir: string | URL): NodeFileSource {
  return new NodeFileSource(dir);
}
