#!/usr/bin/env node
// Fails (exit 1) when the relative imports of `src/**/*.ts` form a cycle, printing each one as a
// chain of files: `node scripts/check-cycles.mjs [--types] [dir ...]` (default: src). Part of the
// lint tier, with --types, on src and test: not even declarations go round in a circle.
//
// What counts as an edge: a static `import ... from`, `import '...'`, `export ... from`,
// `import x = require(...)` and `require('...')` of a relative path. What does not: type-only
// imports (`import type`, `export type`, or `import { type A, type B }` where every name is a
// type), because TypeScript and esbuild erase them, so they cannot make a load-order cycle; and
// dynamic `import('...')`, which loads later. An import used only as a type but not written as
// `import type` still counts: mark it `type` to say so. Package imports are not followed.
// `--types` counts type-only imports too: a cycle between declarations is a layering knot even
// when nothing loads in a circle (the lint tier asks for none).
// No dependency beyond the TypeScript parser the build already uses.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const withTypes = args.includes('--types');
const named = args.filter((a) => !a.startsWith('--'));
const dirs = (named.length ? named : ['src']).map((d) => resolve(root, d));
for (const d of dirs) {
  if (!existsSync(d) || !statSync(d).isDirectory()) {
    console.error(`check-cycles: not a directory: ${d}`);
    process.exit(2);
  }
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names (`./x` → x.ts, x.tsx or x/index.ts), if it exists. */
function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (existsSync(c) && statSync(c).isFile() && /\.tsx?$/.test(c)) return c;
  }
  return undefined;
}

/** Relative specifiers this file needs at load time. */
function runtimeImports(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specs = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly = c && (c.isTypeOnly || (!c.name && c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (withTypes || !typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      if (withTypes || !typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && (withTypes || !node.isTypeOnly) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      specs.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs.filter((s) => s.startsWith('.'));
}

const files = dirs.flatMap((d) => walk(d)).sort();
/** file → files it imports at load time */
const graph = new Map(files.map((f) => [f, [...new Set(runtimeImports(f).map((s) => resolveSpec(f, s)).filter(Boolean))].sort()]));

// Strongly connected components (Tarjan, iterative); a component of two or more files, or a
// file importing itself, holds at least one cycle.
const index = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const components = [];
let counter = 0;
for (const start of graph.keys()) {
  if (index.has(start)) continue;
  const work = [[start, 0]];
  index.set(start, counter);
  low.set(start, counter++);
  stack.push(start);
  onStack.add(start);
  while (work.length) {
    const top = work[work.length - 1];
    const [v, i] = top;
    const next = graph.get(v) ?? [];
    if (i < next.length) {
      top[1]++;
      const w = next[i];
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        index.set(w, counter);
        low.set(w, counter++);
        stack.push(w);
        onStack.add(w);
        work.push([w, 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length) {
      const parent = work[work.length - 1][0];
      low.set(parent, Math.min(low.get(parent), low.get(v)));
    }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp.sort());
    }
  }
}

/** The shortest cycle through `from` inside one component (BFS), as a list of files. */
function shortestCycle(from, members) {
  const prev = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === from) {
        const path = [v];
        while (prev.get(path[0]) !== undefined) path.unshift(prev.get(path[0]));
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [from];
}

const rel = (f) => relative(root, f).split('\\').join('/');
if (!components.length) {
  console.log(`No import cycles among ${files.length} files (${dirs.map(rel).join(', ')}; type-only imports ${withTypes ? 'included' : 'ignored'}).`);
  process.exit(0);
}
let cycles = 0;
for (const comp of components) {
  const members = new Set(comp);
  const seen = new Set();
  console.error(`Import cycle among ${comp.length} file(s): ${comp.map(rel).join(', ')}`);
  for (const f of comp) {
    const cycle = shortestCycle(f, members);
    // The same cycle found from another of its files starts elsewhere: key it by its smallest rotation.
    const at = cycle.indexOf([...cycle].sort()[0]);
    const key = [...cycle.slice(at), ...cycle.slice(0, at)].join('>');
    if (seen.has(key)) continue;
    seen.add(key);
    cycles++;
    console.error(`  ${[...cycle.slice(at), ...cycle.slice(0, at), cycle[at]].map(rel).join(' → ')}`);
  }
}
console.error(`${cycles} import cycle(s). Move what both sides share into a module of its own, or write type-only imports as \`import type\`.`);
process.exit(1);
