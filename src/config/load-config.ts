/**
 * Loads `keel.yaml`: parse YAML keeping positions, interpolate `${ENV_VAR}` (secrets stay out of the
 * file), validate against the schema, and resolve secrets from files. Every problem is reported at once,
 * each naming the file, the line, the path in the document and what was expected.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import type { z } from 'zod';
import { configSchema, type KeelConfig } from './schema.js';

export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `Invalid configuration in ${file}:\n` +
        issues
          .map((i) => `  ${file}${i.line === undefined ? '' : `:${i.line}:${i.column ?? 1}`} ${i.path || '(root)'}: ${i.message}`)
          .join('\n'),
    );
  }
}

type Env = Record<string, string | undefined>;
type PathSegment = string | number;

/** Formats a document path the way a reader writes it: `routes.smart.deployments[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`))
    .join('');
}

const INTERPOLATION = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string of the document; `$${` escapes a literal `${`. */
export function interpolateEnv(value: unknown, env: Env, issues: ConfigIssue[], path: PathSegment[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(INTERPOLATION, (match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `expected environment variable ${name} to be set (referenced as ${match})` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, issues, [...path, key]);
    return out;
  }
  return value;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}

function suggestKey(unknown: string, known: string[]): string {
  const best = known
    .map((k) => ({ k, d: levenshtein(unknown, k) }))
    .sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= 2 ? ` (did you mean "${best.k}"?)` : '';
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  // Walk the schema along the path to list the keys allowed where an unknown one was found.
  let schema: unknown = configSchema;
  for (const seg of path) {
    schema = unwrap(schema);
    const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown; options?: unknown[] } }).def;
    if (def?.type === 'object' && typeof seg === 'string') schema = def.shape?.[seg];
    else if (def?.type === 'array') schema = def.element;
    else if (def?.type === 'record') schema = def.valueType;
    else if (def?.type === 'union') schema = def.options?.find((o) => (unwrap(o) as { def?: { type?: string } }).def?.type === 'object');
    else return [];
  }
  const shape = (unwrap(schema) as { def?: { shape?: Record<string, unknown> } }).def?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 10 && current?.def !== undefined; i++) {
    const def = current.def;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') current = def.innerType as typeof current;
    else if (def.type === 'pipe') current = def.in as typeof current;
    else break;
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string }[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      message: `unknown key "${key}"${suggestKey(key, known)}; expected one of: ${known.join(', ')}`,
    }));
  }
  if (issue.code === 'invalid_union') {
    return [{ path: issue.path, message: 'expected a deployment id or an object { id, weight }' }];
  }
  return [{ path: issue.path, message: issue.message.replace(/^Invalid input: /, '') }];
}

/** Validates an already-parsed document (from YAML or built in code). */
export function parseConfig(raw: unknown, file: string, env: Env = process.env, locate?: (path: PropertyKey[]) => { line: number; column: number } | undefined): KeelConfig {
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw ?? {}, env, issues);
  for (const issue of issues) Object.assign(issue, locate?.(issue.path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s))));
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    for (const zIssue of result.error.issues) {
      for (const { path, message } of describeIssue(zIssue)) {
        // A missing variable already explains why its value is empty.
        if (issues.some((i) => i.path === formatPath(path))) continue;
        issues.push({ path: formatPath(path), message, ...locate?.(path) });
      }
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(file, issues);
  return result.data;
}

/** Reads and validates a YAML config file. */
export function loadConfigFile(file: string, env: Env = process.env): KeelConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
      }),
    );
  }
  const locate = (path: PropertyKey[]): { line: number; column: number } | undefined => {
    // Point at the key itself when the path ends in one (an unknown or mistyped key).
    const parent = doc.getIn(path.slice(0, -1) as PathSegment[], true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path.at(-1));
      if (pair !== undefined && isNode(pair.key) && pair.key.range) {
        const pos = lineCounter.linePos(pair.key.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as PathSegment[], true);
      if (isNode(node) && node.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
  return parseConfig(doc.toJS(), file, env, locate);
}
