// The export list of every package root, read from the sources with the TypeScript checker, so a
// test can hold it against a committed snapshot: a name added to or removed from a root is then a
// deliberate change (the snapshot moves in the same commit), never a side effect of `export *`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './golden-cases.mjs';
import { workspaceEntries } from './vitest.mjs';

/** One name a package root exports. */
export interface RootExport {
  readonly name: string;
  /** `value` when it exists at run time (a class, function or constant), `type` when only for the checker. */
  readonly kind: 'value' | 'type';
  /** True when the name, or a re-export on the way to it, carries a `@deprecated` tag. */
  readonly deprecated: boolean;
}

/**
 * The export list of each workspace package's root (`src/index.ts`), by package name, each list
 * sorted by name. Workspace imports (`@imagegpt/core`, `@imagegpt/core/graph`, …) resolve to the
 * sources, as in the tests, so no build is needed.
 */
export function rootExports(): Record<string, RootExport[]> {
  const entries = workspaceEntries();
  const roots = workspaceRoots();
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // Export lists need no types from the standard library or third-party packages: reading them
    // (3 MB of .d.ts) would triple the time. A root that re-exports a third-party name is refused
    // below rather than listed wrongly.
    noLib: true,
    types: [],
    noEmit: true,
    // Source paths for the workspace's own packages, so a root that re-exports a sibling sees the
    // sibling's sources rather than a build that may be stale.
    paths: Object.fromEntries(Object.entries(entries).map(([specifier, file]) => [specifier, [file]])),
  };
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) =>
    file.includes('/node_modules/')
      ? ts.createSourceFile(file, 'export {};', language)
      : readSource(file, language, ...rest);
  const program = ts.createProgram({ rootNames: Object.values(roots), options, host });
  const checker = program.getTypeChecker();
  const lists: Record<string, RootExport[]> = {};
  for (const [name, file] of Object.entries(roots)) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${name}: the checker has no module for ${file}`);
    lists[name] = checker
      .getExportsOfModule(module)
      .map((symbol) => describe(checker, symbol, name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return lists;
}

/** Package name → `src/index.ts`, for every package under packages/. */
function workspaceRoots(): Record<string, string> {
  const roots: Record<string, string> = {};
  const packages = join(REPO_ROOT, 'packages');
  for (const dir of readdirSync(packages).sort()) {
    const manifest = join(packages, dir, 'package.json');
    const entry = join(packages, dir, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) continue;
    roots[JSON.parse(readFileSync(manifest, 'utf8')).name] = entry;
  }
  return roots;
}

/**
 * Follows one exported name through its re-exports to the declaration: it is a type when any step
 * is `export type` or the declaration has no value meaning; deprecated when any step says so.
 */
function describe(checker: ts.TypeChecker, exported: ts.Symbol, root: string): RootExport {
  let typeOnly = false;
  let deprecated = false;
  let symbol = exported;
  for (let steps = 0; ; steps++) {
    if (steps > 50) throw new Error(`${exported.name}: a re-export chain longer than 50 steps`);
    for (const declaration of symbol.declarations ?? []) {
      if (ts.getJSDocDeprecatedTag(declaration)) deprecated = true;
      if (ts.isExportSpecifier(declaration) || ts.isImportSpecifier(declaration)) {
        if (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly) typeOnly = true;
      }
    }
    if (!(symbol.flags & ts.SymbolFlags.Alias)) break;
    symbol = checker.getImmediateAliasedSymbol(symbol) ?? checker.getAliasedSymbol(symbol);
  }
  const home = symbol.declarations?.[0]?.getSourceFile().fileName;
  if (home === undefined)
    throw new Error(`${root} exports ${exported.name}, which is not found where it points (removed there?)`);
  if (home.includes('/node_modules/'))
    throw new Error(
      `${root} re-exports ${exported.name} from ${home}: a third-party name, which this list cannot read`,
    );
  const value = !typeOnly && (symbol.flags & ts.SymbolFlags.Value) !== 0;
  return { name: exported.name, kind: value ? 'value' : 'type', deprecated };
}

/** One import of a deprecated root name, with the file it is in. */
export interface DeprecatedImport {
  readonly file: string;
  readonly specifier: string;
  readonly name: string;
}

/** Folders whose code must use the entry points rather than a root's deprecated names. */
const CODE_DIRS = ['packages', 'apps', 'tooling'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'cache', '.turbo', 'api']);
const CODE_FILE = /\.(?:ts|mts|mjs|js|vue)$/;

/**
 * Every import or re-export, in the repository's own code, of a name that a package root keeps only
 * as a deprecated re-export: the CLI, the tests and the packages import internals from their entry
 * points, so the deprecated names can go without touching them. The packages' roots (`src/index.ts`
 * and the `src/deprecated.ts` beside it) are left out: they are where a name is kept on purpose.
 */
export function deprecatedImports(lists: Record<string, RootExport[]> = rootExports()): DeprecatedImport[] {
  const deprecated = new Map(
    Object.entries(lists).map(([name, list]) => [
      name,
      new Set(list.filter((e) => e.deprecated).map((e) => e.name)),
    ]),
  );
  const found: DeprecatedImport[] = [];
  for (const file of codeFiles()) {
    if (/\/src\/(?:index|deprecated)\.ts$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (!text.includes('@imagegpt/')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    for (const statement of source.statements) {
      if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement))) continue;
      const specifier = statement.moduleSpecifier;
      if (!specifier || !ts.isStringLiteral(specifier)) continue;
      const names = deprecated.get(specifier.text);
      if (!names) continue;
      const bindings = ts.isImportDeclaration(statement)
        ? statement.importClause?.namedBindings
        : statement.exportClause;
      if (!bindings || !(ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) continue;
      for (const element of bindings.elements) {
        const name = (element.propertyName ?? element.name).text;
        if (names.has(name)) found.push({ file: relative(REPO_ROOT, file), specifier: specifier.text, name });
      }
    }
  }
  return found;
}

function* codeFiles(dir = REPO_ROOT, depth = 0): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (depth === 0 && !CODE_DIRS.includes(entry.name)) continue;
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) yield* codeFiles(join(dir, entry.name), depth + 1);
    else if (entry.isFile() && CODE_FILE.test(entry.name)) yield join(dir, entry.name);
  }
}
