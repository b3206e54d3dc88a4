import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The SDK examples users copy (the block in the repository README's SDK
 * section, this package README's blocks marked `typechecked`, and examples/*.mjs) must compile under `strict` against what the
 * package ships: its built declaration files, reached as `@memberships/sdk`
 * the way a user's project reaches them (package.json `exports` → dist/*.d.ts).
 * Each one is checked twice: as the JavaScript it is (checkJs) and as
 * TypeScript (.mts), since it is valid as both and users paste it into either.
 * Needs a fresh `npx tsc --build`.
 */
const packageDir = resolve(__dirname, '..');
const repoRoot = resolve(packageDir, '..', '..');
const declarations = join(packageDir, 'dist', 'index.d.ts');
const README_SECTION = '## From your own scripts: the TypeScript SDK';

const options: ts.CompilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  allowJs: true,
  checkJs: true,
  noEmit: true,
  // Our own .d.ts files are part of what is checked; third-party ones are their authors' business.
  skipLibCheck: false,
  skipDefaultLibCheck: true,
};

interface Snippet {
  /** Where it is compiled from: module resolution starts beside this path, so it must sit where the code lives. */
  readonly fileName: string;
  readonly text: string;
}

/** The fenced `js` blocks of one section of a Markdown file. */
function codeBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`${heading}\n`);
  if (start === -1) throw new Error(`README.md has no section "${heading}"`);
  const rest = markdown.slice(start + heading.length);
  const end = rest.search(/\n## /);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/** Compiles virtual files next to real ones; returns the formatted diagnostics and the files the program read. */
function compile(snippets: readonly Snippet[]): { diagnostics: string; files: string[] } {
  const host = ts.createCompilerHost(options, true);
  const virtual = new Map(snippets.map((snippet) => [snippet.fileName, snippet.text]));
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile.call(host, fileName);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(fileName);
    return text === undefined
      ? getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(fileName, text, languageVersion, true);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return {
    diagnostics: ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (fileName) => fileName,
      getCurrentDirectory: () => repoRoot,
      getNewLine: () => '\n',
    }),
    files: program.getSourceFiles().map((file) => file.fileName),
  };
}

/** The snippet as JavaScript (checkJs) and as TypeScript, both beside `basePath`. */
function asJsAndTs(basePath: string, text: string): Snippet[] {
  return [
    { fileName: `${basePath}.typecheck.mjs`, text },
    { fileName: `${basePath}.typecheck.mts`, text },
  ];
}

beforeAll(() => {
  if (!existsSync(declarations)) throw new Error(`${declarations} is missing: run \`npx tsc --build\` first.`);
});

describe('the SDK examples type-check under strict against the built declarations', () => {
  it("the repository README's SDK example", () => {
    const blocks = codeBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'), README_SECTION);
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks[0]).toContain("from '@memberships/sdk'");

    const { diagnostics, files } = compile(
      blocks.flatMap((text, index) => asJsAndTs(join(repoRoot, `README.sdk-example-${index + 1}`), text)),
    );

    expect(diagnostics).toBe('');
    // Checked against what is shipped, not against the sources.
    expect(files).toContain(declarations);
    expect(files.filter((file) => file.startsWith(join(packageDir, 'src')))).toEqual([]);
  });

  it("this package README's blocks marked typechecked (the export options)", () => {
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/<!-- typechecked[^>]*-->\n```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.join('\n')).toContain("format: 'xlsx'");

    const { diagnostics } = compile(blocks.flatMap((text, index) => asJsAndTs(join(packageDir, `README.typechecked-${index + 1}`), text)));

    expect(diagnostics).toBe('');
  });

  const examples = readdirSync(join(packageDir, 'examples')).filter((name) => name.endsWith('.mjs'));

  it('there are examples to check', () => {
    expect(examples).toEqual(expect.arrayContaining(['export-memberships.mjs', 'subscribe-monthly.mjs']));
  });

  it.each(examples)('examples/%s', (name) => {
    const path = join(packageDir, 'examples', name);
    const { diagnostics } = compile(asJsAndTs(path.replace(/\.mjs$/, ''), readFileSync(path, 'utf8')));
    expect(diagnostics).toBe('');
  });

  it('catches what strict rules out, e.g. an unset environment variable passed as a password', () => {
    const careless = `import { createClient } from '@memberships/sdk';
const client = createClient({ baseUrl: 'http://127.0.0.1:3000', credentials: { email: 'a@example.com', password: process.env.PASSWORD } });
const done = await client.exports.wait('id');
console.log(done.file.rows, client.baseUrl.missing);
`;
    const { diagnostics } = compile(asJsAndTs(join(repoRoot, 'README.careless'), careless));
    expect(diagnostics).toMatch(
      /README\.careless\.typecheck\.mjs.*error TS2322: Type 'string \| undefined' is not assignable to type 'string'/,
    );
    expect(diagnostics).toMatch(/README\.careless\.typecheck\.mts.*error TS2322/);
    expect(diagnostics).toMatch(/Property 'missing' does not exist on type 'string'/);
  });
});
