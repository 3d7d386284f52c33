/**
 * JSON Schema (as clients write tool parameters and response schemas) → Gemini's `Schema`, the OpenAPI
 * 3.0 subset `@google/genai` declares. Gemini refuses keys outside that subset (`$schema`,
 * `additionalProperties`, `exclusiveMinimum`...) with a 400, so they are left out; the rest is rewritten
 * the way the official SDK's `processJsonSchema` does: type names in upper case, `["string", "null"]` and
 * `anyOf: [X, {type: null}]` as `nullable`, `oneOf` as `anyOf`, `const` as a one-value enum. Local `$ref`s
 * are inlined (Gemini has no references); a recursive one cannot be, and is refused by the caller.
 */

type Json = Record<string, unknown>;

export class SchemaNotConvertible extends Error {}

/** Keys of genai's `Schema` copied as they are. */
const PLAIN_KEYS = [
  'description', 'title', 'pattern', 'default', 'example', 'minimum', 'maximum', 'minItems', 'maxItems', 'minLength',
  'maxLength', 'minProperties', 'maxProperties', 'propertyOrdering',
] as const;

const TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT']);

/** Gemini accepts only these formats and answers a 400 for others (`email`, `uri`): they are hints, dropped. */
const FORMATS: Record<string, ReadonlySet<string>> = {
  STRING: new Set(['enum', 'date-time']),
  INTEGER: new Set(['int32', 'int64']),
  NUMBER: new Set(['float', 'double']),
};

const MAX_DEPTH = 64; // deeper than any real tool schema; stops a pathological one

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function convertToGeminiSchema(schema: Record<string, unknown>): Json {
  return convert(schema, schema, new Set(), 0);
}

/** True for an object schema without properties, which Gemini refuses as function parameters. */
export function isEmptyObjectSchema(schema: Json): boolean {
  return schema['type'] === 'OBJECT' && (!isRecord(schema['properties']) || Object.keys(schema['properties']).length === 0) && schema['anyOf'] === undefined;
}

function resolveRef(root: Json, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((s) => s !== '')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

function upperType(type: unknown): string | undefined {
  if (typeof type !== 'string') return undefined;
  const upper = type.toUpperCase();
  return TYPES.has(upper) ? upper : undefined;
}

function convert(node: unknown, root: Json, refs: ReadonlySet<string>, depth: number): Json {
  if (depth > MAX_DEPTH) throw new SchemaNotConvertible('a schema nested too deeply');
  if (!isRecord(node)) return {}; // `true` / `{}`: anything goes
  const ref = node['$ref'];
  if (typeof ref === 'string') {
    if (refs.has(ref)) throw new SchemaNotConvertible(`a recursive $ref (${ref})`);
    const target = resolveRef(root, ref);
    if (!isRecord(target)) throw new SchemaNotConvertible(`a $ref that cannot be resolved (${ref})`);
    const inlined = convert(target, root, new Set([...refs, ref]), depth + 1);
    // Siblings of $ref (a description, usually) describe this use of the definition.
    const { $ref: _ref, ...siblings } = node;
    return { ...inlined, ...convert(siblings, root, refs, depth + 1) };
  }

  const out: Json = {};
  const variants = Array.isArray(node['anyOf']) ? node['anyOf'] : Array.isArray(node['oneOf']) ? node['oneOf'] : undefined;
  if (variants !== undefined) {
    const nonNull = variants.filter((v) => !(isRecord(v) && v['type'] === 'null'));
    if (nonNull.length < variants.length) out['nullable'] = true;
    if (nonNull.length === 1) Object.assign(out, convert(nonNull[0], root, refs, depth + 1));
    else if (nonNull.length > 1) out['anyOf'] = nonNull.map((v) => convert(v, root, refs, depth + 1));
  }
  if (Array.isArray(node['allOf']) && node['allOf'].length === 1) Object.assign(out, convert(node['allOf'][0], root, refs, depth + 1));

  const rawType = node['type'];
  if (Array.isArray(rawType)) {
    if (rawType.includes('null')) out['nullable'] = true;
    const types = rawType.map(upperType).filter((t): t is string => t !== undefined);
    if (types.length === 1) out['type'] = types[0];
    else if (types.length > 1 && out['anyOf'] === undefined) out['anyOf'] = types.map((t) => ({ type: t }));
  } else if (rawType === 'null') {
    out['nullable'] = true;
  } else {
    const type = upperType(rawType);
    if (type !== undefined) out['type'] = type;
  }

  for (const key of PLAIN_KEYS) if (node[key] !== undefined) out[key] = node[key];
  if (node['nullable'] === true) out['nullable'] = true;

  const values = node['const'] !== undefined ? [node['const']] : Array.isArray(node['enum']) ? node['enum'] : undefined;
  if (values !== undefined) {
    if (values.includes(null)) out['nullable'] = true;
    const present = values.filter((v) => v !== null);
    // Gemini enums are strings only; a numeric enum stays a plain number schema.
    if (present.length > 0 && present.every((v) => typeof v === 'string')) {
      out['enum'] = present;
      out['type'] ??= 'STRING';
    }
  }
  const format = node['format'];
  if (typeof format === 'string' && typeof out['type'] === 'string' && FORMATS[out['type']]?.has(format) === true) out['format'] = format;

  if (isRecord(node['items'])) out['items'] = convert(node['items'], root, refs, depth + 1);
  if (isRecord(node['properties'])) {
    const properties: Json = {};
    for (const [name, value] of Object.entries(node['properties'])) properties[name] = convert(value, root, refs, depth + 1);
    out['properties'] = properties;
    out['type'] ??= 'OBJECT';
  }
  if (Array.isArray(node['required'])) {
    const required = node['required'].filter((r): r is string => typeof r === 'string');
    if (required.length > 0) out['required'] = required;
  }
  return out;
}
