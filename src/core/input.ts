/**
 * Strict reading of every input Vigil accepts (YAML files, JSON bodies, CLI arguments): all problems at
 * once, each with the file, the line where there is one, and the field path.
 */
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type Problem } from './errors.js';

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export interface YamlDocument {
  value: unknown;
  /** The 1-based line of a field path, for errors found after parsing. */
  locate(path: Path): number | undefined;
}

/** Parses YAML text; throws ConfigError with every syntax problem and its line. */
export function parseYamlDocument(text: string, file: string): YamlDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line,
        path: '',
        message: `not valid YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  return { value: doc.toJS({ maxAliasCount: 100 }) ?? {}, locate: (path) => lineOf(doc, lineCounter, path) };
}

/** Parses YAML text and validates it; throws ConfigError naming every problem with its line. */
export function parseYamlInput<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  const doc = parseYamlDocument(text, file);
  return validateInput(doc.value, schema, file, doc.locate);
}

/** Validates an already-parsed value; `locate` maps a field path to a line where the input had lines. */
export function validateInput<S extends z.ZodType>(
  value: unknown,
  schema: S,
  file: string,
  locate: (path: Path) => number | undefined = () => undefined,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(issuesToProblems(result.error.issues, schema, file, locate));
}

export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  file: string,
  locate: (path: Path) => number | undefined,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const hint = suggest(key, known);
        problems.push({
          file,
          line: locate(path),
          path: formatPath(path),
          message: `unknown field${hint ? `; did you mean "${hint}"?` : known.length ? `; expected one of: ${known.join(', ')}` : ''}`,
        });
      }
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    problems.push({
      file,
      // A missing field has no line of its own: point at the object that lacks it.
      line: locate(missing ? issue.path.slice(0, -1) : issue.path) ?? locate(issue.path.slice(0, -1)),
      path: formatPath(issue.path),
      message: missing ? `required field is missing (expected ${issue.expected})` : humanMessage(issue),
    });
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function humanMessage(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid (input|option): /, '');
}

function lineOf(doc: Document, lineCounter: LineCounter, path: Path): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    const last = sub[sub.length - 1];
    // For a key we prefer the key's own line over its value's.
    if (depth > 0 && typeof last === 'string') {
      const parent = sub.length === 1 ? doc.contents : doc.getIn(sub.slice(0, -1) as unknown[], true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return lineCounter.linePos(keyNode.range[0]).line;
      }
    }
    const node = (depth === 0 ? doc.contents : doc.getIn(sub as unknown[], true)) as Node | null | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The keys an object schema at `path` accepts; best effort, for suggestions only. */
function knownKeys(schema: z.ZodType, path: Path): string[] {
  let current: unknown = schema;
  for (const part of [...path, null]) {
    current = unwrap(current);
    const def = defOf(current);
    if (part === null) return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    if (!def) return [];
    if (def.type === 'object' && typeof part === 'string') current = def.shape?.[part];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
  }
  return [];
}

interface LooseDef {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  innerType?: unknown;
  in?: unknown;
  getter?: () => unknown;
}

function defOf(schema: unknown): LooseDef | undefined {
  return (schema as { def?: LooseDef } | undefined)?.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(current);
    if (!def) return current;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else return current;
  }
  return current;
}

function suggest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
