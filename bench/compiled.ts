/**
 * The scan bench's Vigil side runs as Vigil is deployed: compiled JavaScript under plain node (the
 * `vigil` bin is dist/cli/main.js). Under tsx the same scan carries tsx's loader thread and esbuild's
 * output, about 55 MB of RSS and a few percent of CPU that no deployment has. `compiledChild` builds
 * dist/ (tsc, incremental) and transpiles the child script, and the bench files it imports, into
 * bench/.compiled/, their imports of ../src/ pointed at ../../dist/: the scan runs dist's code.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../src/core/paths.js';

const OUT = join(import.meta.dirname, '.compiled');
const LOCAL_IMPORT = /from '\.\/([\w-]+)\.js'/g;
/** Children compiled by this bench process: dist/ is built, and each child transpiled, once per process. */
const compiled = new Map<string, string>();

/** Builds dist/ and returns the path of bench/<name>.ts compiled against it. */
export function compiledChild(name: string): string {
  const known = compiled.get(name);
  if (known) return known;
  if (compiled.size === 0) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(PROJECT_ROOT, 'tsconfig.build.json')], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  }
  mkdirSync(OUT, { recursive: true });
  const done = new Set<string>();
  const pending = [name];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(join(import.meta.dirname, `${file}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: `${file}.ts` });
    for (const match of outputText.matchAll(LOCAL_IMPORT)) pending.push(match[1] as string);
    writeFileSync(join(OUT, `${file}.js`), outputText.replaceAll("from '../src/", "from '../../dist/"));
  }
  const path = join(OUT, `${name}.js`);
  compiled.set(name, path);
  return path;
}
