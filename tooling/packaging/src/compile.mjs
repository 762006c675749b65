// Type-checking and transpiling the docs' TypeScript blocks with the TypeScript compiler, against
// the packages as their package.json `exports` give them (built .d.ts files), the way an app that
// installed them would see them.
import ts from 'typescript';

/** The compiler options of an app using the packages: ES modules, a bundler or Node 20, strict. */
export const SNIPPET_COMPILER_OPTIONS = Object.freeze({
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: true,
  noEmit: true,
  isolatedModules: true,
});

/**
 * Type-checks the written blocks (`[{ block, path, codeOffset }]` from writeBlocks) as one program;
 * returns one line per error, `file.md:line:col: message`, pointing into the Markdown (an error in a
 * block's setup comment points at the fence's line).
 */
export function typeCheck(written) {
  const program = ts.createProgram(
    written.map((w) => w.path),
    SNIPPET_COMPILER_OPTIONS,
  );
  const byPath = new Map(written.map((w) => [w.path, w]));
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const w = d.file ? byPath.get(d.file.fileName) : undefined;
    if (d.file === undefined || d.start === undefined) return message;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    if (w === undefined) return `${d.file.fileName}:${line + 1}:${character + 1}: ${message}`;
    const inCode = line >= w.codeOffset;
    const mdLine = inCode ? w.block.line + line - w.codeOffset : w.block.line - 1;
    return `${w.block.file}:${mdLine}:${character + 1}: ${inCode ? '' : '(in its snippet-setup) '}${message}`;
  });
}

/** A block's module text as JavaScript for Node (types erased, imports kept). */
export function toJavaScript(text) {
  return ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}
