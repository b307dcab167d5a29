// Writes docs/recipes.md: a table of every config key of every recipe in the registry (src/models/recipes.ts),
// with its type and default read from the recipe's zod schema and its meaning from the doc comment on that key
// in src/. Generated, so it cannot drift from the code; test/examples/recipe-docs.test.ts checks the file is current.
//
//   node --import tsx scripts/recipe-docs.ts            # rewrites docs/recipes.md
//   node --import tsx scripts/recipe-docs.ts --check    # exits 1 when docs/recipes.md is out of date
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { RECIPES } from '../src/models/recipes.js';
import { KEY_NOTES } from './recipe-key-notes.js';

const repository = resolve(import.meta.dirname, '..');
export const RECIPE_DOCS_PATH = join(repository, 'docs', 'recipes.md');

interface KeyComment {
  /** Property names from the declaration down to the key, e.g. ['training', 'wordWeight']. */
  path: string[];
  file: string;
  text: string;
}

/** The doc comment (or the `//` lines) right above a node, as one line of text. */
function commentAbove(node: ts.Node, source: string): string | undefined {
  const ranges = ts.getLeadingCommentRanges(source, node.getFullStart()) ?? [];
  const block = ranges.filter((range) => source.slice(range.pos, range.pos + 3) === '/**').at(-1);
  const chosen = block ? [block] : ranges.filter((range) => range.kind === ts.SyntaxKind.SingleLineCommentTrivia);
  if (chosen.length === 0) return undefined;
  const text = chosen
    .map((range) => source.slice(range.pos, range.end))
    .join('\n')
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*(\*|\/\/)\s?/, '').trim())
    .filter(Boolean)
    .join(' ');
  return text || undefined;
}

/** Names of the object-literal properties enclosing `node`, outermost first, up to its variable declaration. */
function propertyPath(node: ts.Node): string[] | undefined {
  const path: string[] = [];
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (ts.isPropertyAssignment(current) || ts.isShorthandPropertyAssignment(current)) {
      if (!ts.isIdentifier(current.name) && !ts.isStringLiteral(current.name)) return undefined;
      path.unshift(current.name.text);
    } else if (ts.isVariableDeclaration(current)) {
      return path;
    }
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return name.endsWith('.ts') ? [path] : [];
    });
}

/** Every commented schema key (and commented `const x = z…` declaration) in src/. */
function collectComments(): KeyComment[] {
  const comments: KeyComment[] = [];
  for (const file of sourceFiles(join(repository, 'src'))) {
    const source = readFileSync(file, 'utf8');
    if (!source.includes("from 'zod'")) continue;
    const tree = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
    const name = relative(repository, file);
    const visit = (node: ts.Node): void => {
      const isSchemaKey = ts.isPropertyAssignment(node) && /^z\s*\./.test(node.initializer.getText(tree));
      const statement = ts.isVariableStatement(node) ? node.declarationList.declarations[0] : undefined;
      const isSchemaConst = statement?.initializer !== undefined && /^z\s*\./.test(statement.initializer.getText(tree));
      const text = isSchemaKey || isSchemaConst ? commentAbove(node, source) : undefined;
      if (text && isSchemaKey) {
        const path = propertyPath(node);
        if (path) comments.push({ path, file: name, text });
      } else if (text && statement && ts.isIdentifier(statement.name)) {
        comments.push({ path: [statement.name.text], file: name, text });
      }
      ts.forEachChild(node, visit);
    };
    visit(tree);
  }
  return comments;
}

/** Files `file` imports from src/, transitively, with their import depth (the file itself at 0). */
function importDepths(file: string): Map<string, number> {
  const depths = new Map([[file, 0]]);
  const queue = [file];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    const source = readFileSync(join(repository, current), 'utf8');
    for (const [, target = ''] of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
      const imported = relative(repository, resolve(repository, dirname(current), `${target}.ts`));
      if (depths.has(imported) || !existsSync(join(repository, imported))) continue;
      depths.set(imported, (depths.get(current) ?? 0) + 1);
      queue.push(imported);
    }
  }
  return depths;
}

/**
 * The comment, among the files the recipe's own imports, whose path is the longest tail of `key`; on a tie, the one
 * nearest the recipe's file (a key name such as `floor` means different things in different schemas); else a note.
 */
function describe(key: string[], comments: readonly KeyComment[], depths: ReadonlyMap<string, number>): string {
  const distance = (comment: KeyComment): number => depths.get(comment.file) ?? 0;
  let best: KeyComment | undefined;
  for (const comment of comments) {
    if (!depths.has(comment.file)) continue;
    const tail = key.slice(-comment.path.length);
    if (comment.path.length > key.length || tail.join('.') !== comment.path.join('.')) continue;
    const better =
      !best ||
      comment.path.length > best.path.length ||
      (comment.path.length === best.path.length && distance(comment) < distance(best));
    if (better) best = comment;
  }
  if (best) return best.text;
  const note = noteFor(key);
  return note ? (KEY_NOTES[note] ?? '') : '';
}

/** The KEY_NOTES key that is the longest tail of `key`. */
export function noteFor(key: readonly string[]): string | undefined {
  for (let start = 0; start < key.length; start++) {
    const tail = key.slice(start).join('.');
    if (KEY_NOTES[tail] !== undefined) return tail;
  }
  return undefined;
}

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

const LIMIT = 9007199254740991;

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.properties) return 'object';
  const bounds: string[] = [];
  if (schema.minimum !== undefined && schema.minimum > -LIMIT) bounds.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined && schema.maximum < LIMIT) bounds.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  return [schema.type ?? 'any', ...bounds].join(' ');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string): string => '`' + text + '`';

export type Row = [key: string, type: string, fallback: string, meaning: string];

function rows(
  schema: JsonSchema,
  key: string[],
  comments: readonly KeyComment[],
  depths: ReadonlyMap<string, number>,
): Row[] {
  if (!schema.properties) return [];
  return Object.entries(schema.properties).flatMap(([name, child]): Row[] => {
    const path = [...key, name];
    const meaning = describe(path, comments, depths);
    if (child.properties) {
      const section: Row[] = meaning ? [[path.join('.'), 'section', '', meaning]] : [];
      return [...section, ...rows(child, path, comments, depths)];
    }
    const required = child.default === undefined && (schema.required ?? []).includes(name);
    const fallback =
      child.default !== undefined ? code(JSON.stringify(child.default)) : required ? 'required' : 'unset';
    return [[path.join('.'), typeOf(child), fallback, meaning]];
  });
}

/** The file that defines a recipe's schema (src/models/text-to-image-gan.ts for text2image-gan). */
function recipeFile(name: string): string {
  const file = `src/models/${name.replace('2', '-to-')}.ts`;
  if (!existsSync(join(repository, file))) throw new Error(`recipe ${name}: expected its schema in ${file}`);
  return file;
}

/** Every recipe's rows: key, type, default, meaning. */
export function recipeTables(): { recipe: string; rows: Row[] }[] {
  const comments = collectComments();
  return RECIPES.map((recipe) => {
    const schema = z.toJSONSchema(recipe.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    return { recipe: recipe.name, rows: rows(schema, [], comments, importDepths(recipeFile(recipe.name))) };
  });
}

/** docs/recipes.md's text. */
export function recipeDocs(): string {
  const tables = recipeTables();
  const sections = RECIPES.map((recipe, index) => {
    const table = (tables[index]?.rows ?? []).map(
      ([key, type, fallback, meaning]) => `| ${code(key)} | ${cell(type)} | ${cell(fallback)} | ${cell(meaning)} |`,
    );
    return [
      `## ${recipe.name}`,
      '',
      `${recipe.description}. Runs can: ${recipe.capabilities.join(', ')}.`,
      '',
      '| key | type | default | what it does |',
      '| --- | --- | --- | --- |',
      ...table,
    ].join('\n');
  });
  const index = RECIPES.map((recipe) => `[${recipe.name}](#${recipe.name})`).join(' · ');
  return [
    '# Recipe options',
    '',
    "<!-- Generated by `node --import tsx scripts/recipe-docs.ts` from the recipes' zod schemas and the doc comments",
    'on their keys; edit those, not this file (a test fails when it is out of date). -->',
    '',
    'Every key a training config (`configs/*.yaml`, or `mmgen train CONFIG --set key=value`) takes, per recipe. A',
    'config names its `recipe` and its `dataset` (a folder `mmgen data build` wrote); every other key has a default.',
    'Nested keys are written with dots here and in `--set`; in YAML they are nested sections.',
    '',
    index,
    '',
    ...sections.flatMap((section) => [section, '']),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = recipeDocs();
  if (process.argv.includes('--check')) {
    const current = readFileSync(RECIPE_DOCS_PATH, 'utf8');
    if (current !== text) {
      console.error(`${RECIPE_DOCS_PATH} is out of date: run node --import tsx scripts/recipe-docs.ts`);
      process.exit(1);
    }
  } else {
    const temporary = `${RECIPE_DOCS_PATH}.tmp-${process.pid}`;
    writeFileSync(temporary, text);
    renameSync(temporary, RECIPE_DOCS_PATH);
    console.log(`wrote ${relative(repository, RECIPE_DOCS_PATH)}`);
  }
}
