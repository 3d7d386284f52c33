/**
 * fast-check generators for the fuzz suite: request bodies shaped like each client API (Chat Completions,
 * Messages, Responses, embeddings, Gemini; mostly valid, with junk mixed in at every level), byte-level mutations
 * of them (truncation, invalid UTF-8, duplicate and prototype keys, deep nesting, overflowing numbers),
 * auth headers, raw HTTP requests, and mutations of a valid config document.
 */
import fc from 'fast-check';

const junk = fc.anything({ maxDepth: 2, maxKeys: 4 });
// Mostly well-formed at every level, so that many cases get through validation to the router.
const often = <T>(good: fc.Arbitrary<T>, weight = 60): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: good, weight }, { arbitrary: junk, weight: 1 });
const text = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', 'hello'));
const weird = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, -0, 1e308, 2 ** 53 + 2, 1e-300, 0.5));
/** A sane value for the field most of the time, an edge case or junk sometimes. */
const num = (sane: fc.Arbitrary<number>): fc.Arbitrary<unknown> => fc.oneof({ weight: 40, arbitrary: sane }, { weight: 1, arbitrary: weird }, { weight: 1, arbitrary: junk });
const unit = fc.double({ min: 0, max: 1, noNaN: true });
const tokens = fc.integer({ min: 1, max: 2_000 });
const model = often(fc.constantFrom('smart', 'claude', 'sim-oa', 'sim-an', 'unknown-model'), 8);
const toolName = fc.stringMatching(/^[a-z_]{1,12}$/);
const schema = often(fc.constant({ type: 'object', properties: { q: { type: 'string' } } }));

const openaiPart = often(
  fc.oneof(
    fc.record({ type: fc.constant('text'), text }),
    fc.record({ type: fc.constant('image_url'), image_url: fc.record({ url: fc.oneof(fc.webUrl(), fc.constant('data:image/png;base64,iVBORw0KGgo=')) }) }),
  ),
);
const toolCall = fc.record({ id: text, type: fc.constant('function'), function: fc.record({ name: toolName, arguments: fc.oneof(fc.json(), text) }) });
const openaiMessage = often(
  fc.oneof(
    fc.record({ role: fc.constantFrom('system', 'developer', 'user'), content: fc.oneof(text, fc.array(openaiPart, { maxLength: 3 })) }),
    fc.record({ role: fc.constant('assistant'), content: fc.option(text), tool_calls: fc.array(toolCall, { maxLength: 2 }) }, { requiredKeys: ['role'] }),
    fc.record({ role: fc.constant('tool'), tool_call_id: text, content: text }),
  ),
);
const openaiBody = fc.record(
  {
    model,
    messages: often(fc.array(openaiMessage, { minLength: 1, maxLength: 5 }), 10),
    stream: often(fc.boolean()),
    stream_options: often(fc.record({ include_usage: fc.boolean() })),
    max_tokens: num(tokens),
    max_completion_tokens: num(tokens),
    temperature: num(unit),
    top_p: num(unit),
    stop: often(fc.oneof(text, fc.array(text, { maxLength: 4 }))),
    tools: often(fc.array(fc.record({ type: fc.constant('function'), function: fc.record({ name: toolName, description: text, parameters: schema }, { requiredKeys: ['name'] }) }), { maxLength: 3 })),
    tool_choice: often(fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ type: fc.constant('function'), function: fc.record({ name: toolName }) }))),
    response_format: often(fc.record({ type: fc.constantFrom('text', 'json_object') })),
    n: num(fc.constant(1)),
    seed: num(fc.integer({ min: 0, max: 1_000 })),
    logprobs: fc.boolean(),
    user: text,
    vendor_extension: junk,
  },
  { requiredKeys: ['model', 'messages'] },
);

const anthropicBlock = often(
  fc.oneof(
    fc.record({ type: fc.constant('text'), text }),
    fc.record({ type: fc.constant('image'), source: fc.record({ type: fc.constant('base64'), media_type: fc.constant('image/png'), data: fc.constant('iVBORw0KGgo=') }) }),
    fc.record({ type: fc.constant('tool_use'), id: text, name: toolName, input: often(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }))) }),
    fc.record({ type: fc.constant('tool_result'), tool_use_id: text, content: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 })) }),
  ),
);
const anthropicBody = fc.record(
  {
    model,
    max_tokens: num(tokens),
    messages: often(fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.oneof(text, fc.array(anthropicBlock, { maxLength: 3 })) }), { minLength: 1, maxLength: 5 }), 10),
    system: often(fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 }))),
    stream: often(fc.boolean()),
    temperature: num(unit),
    top_p: num(unit),
    top_k: num(fc.integer({ min: 1, max: 50 })),
    stop_sequences: often(fc.array(text, { maxLength: 3 })),
    tools: often(fc.array(fc.record({ name: toolName, description: text, input_schema: schema }), { maxLength: 3 })),
    tool_choice: often(fc.oneof(fc.record({ type: fc.constantFrom('auto', 'any', 'none') }), fc.record({ type: fc.constant('tool'), name: toolName }))),
    metadata: often(fc.record({ user_id: text })),
    thinking: often(fc.constant({ type: 'disabled' })),
  },
  { requiredKeys: ['messages', 'max_tokens', 'model'] },
);

const responsesPart = often(
  fc.oneof(
    fc.record({ type: fc.constantFrom('input_text', 'output_text'), text }),
    fc.record({ type: fc.constant('input_image'), image_url: fc.oneof(fc.webUrl(), fc.constant('data:image/png;base64,iVBORw0KGgo=')), detail: fc.constantFrom('auto', 'low', 'high') }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('input_file'), file_id: text }),
  ),
);
const responsesItem = often(
  fc.oneof(
    fc.record({ type: fc.constant('message'), role: fc.constantFrom('user', 'assistant', 'system', 'developer'), content: fc.oneof(text, fc.array(responsesPart, { maxLength: 3 })) }, { requiredKeys: ['role', 'content'] }),
    fc.record({ type: fc.constant('function_call'), call_id: text, name: toolName, arguments: fc.oneof(fc.json(), text) }),
    fc.record({ type: fc.constant('function_call_output'), call_id: text, output: fc.oneof(text, fc.array(responsesPart, { maxLength: 2 })) }),
    fc.record({ type: fc.constantFrom('reasoning', 'item_reference', 'web_search_call'), id: text }),
  ),
);
const responsesBody = fc.record(
  {
    model,
    input: often(fc.oneof(text, fc.array(responsesItem, { minLength: 1, maxLength: 5 })), 10),
    instructions: often(text),
    stream: often(fc.boolean()),
    max_output_tokens: num(tokens),
    temperature: num(unit),
    top_p: num(unit),
    tools: often(fc.array(fc.oneof(fc.record({ type: fc.constant('function'), name: toolName, description: text, parameters: schema }, { requiredKeys: ['type', 'name'] }), fc.record({ type: fc.constantFrom('web_search', 'file_search', 'mcp') })), { maxLength: 3 })),
    tool_choice: often(fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ type: fc.constant('function'), name: toolName }))),
    parallel_tool_calls: often(fc.boolean()),
    text: often(fc.record({ format: fc.oneof(fc.record({ type: fc.constantFrom('text', 'json_object') }), fc.record({ type: fc.constant('json_schema'), name: toolName, schema })) })),
    reasoning: often(fc.record({ effort: fc.constantFrom('low', 'medium', 'high') })),
    metadata: often(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 })),
    store: often(fc.boolean()),
    background: often(fc.boolean(), 20),
    previous_response_id: often(fc.constantFrom('resp_unknown', ''), 20),
    user: text,
  },
  { requiredKeys: ['model', 'input'] },
);

const embeddingsBody = fc.record(
  {
    model: often(fc.constantFrom('embed', 'sim-embed', 'smart', 'unknown-model'), 8),
    input: often(fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 4 }))),
    encoding_format: often(fc.constantFrom('float', 'base64')),
    dimensions: num(fc.integer({ min: 1, max: 3_072 })),
    user: text,
  },
  { requiredKeys: ['model', 'input'] },
);

const geminiPart = often(
  fc.oneof(
    fc.record({ text }),
    fc.record({ inlineData: fc.record({ mimeType: fc.constantFrom('image/png', 'audio/wav'), data: fc.constant('iVBORw0KGgo=') }) }),
    fc.record({ functionCall: fc.record({ name: toolName, args: often(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }))) }, { requiredKeys: ['name'] }) }),
    fc.record({ functionResponse: fc.record({ name: toolName, response: often(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }))) }) }),
  ),
);
const geminiBody = fc.record(
  {
    contents: often(fc.array(fc.record({ role: fc.constantFrom('user', 'model'), parts: fc.array(geminiPart, { minLength: 1, maxLength: 3 }) }, { requiredKeys: ['parts'] }), { minLength: 1, maxLength: 4 }), 10),
    systemInstruction: often(fc.record({ parts: fc.array(fc.record({ text }), { maxLength: 2 }) })),
    tools: often(fc.array(fc.oneof(fc.record({ functionDeclarations: fc.array(fc.record({ name: toolName, description: text, parametersJsonSchema: schema }, { requiredKeys: ['name'] }), { maxLength: 2 }) }), fc.constant({ googleSearch: {} })), { maxLength: 2 })),
    toolConfig: often(fc.record({ functionCallingConfig: fc.record({ mode: fc.constantFrom('AUTO', 'ANY', 'NONE') }) })),
    generationConfig: often(fc.record({ temperature: num(unit), topP: num(unit), maxOutputTokens: num(tokens), stopSequences: often(fc.array(text, { maxLength: 3 })), responseMimeType: fc.constantFrom('text/plain', 'application/json') })),
    safetySettings: often(fc.constant([{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }]), 20),
  },
  { requiredKeys: ['contents'] },
);

type Mutation = (body: Buffer) => Buffer;
const insertAfterBrace = (insert: string): Mutation => (b) => (b[0] === 0x7b ? Buffer.concat([Buffer.from(`{${insert}`), b.subarray(1)]) : b);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 20, arbitrary: fc.constant((b: Buffer) => b) },
  { weight: 1, arbitrary: fc.nat().map((n): Mutation => (b) => b.subarray(0, n % (b.length + 1))) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xc3, 0x80, 0xed)).map(([n, byte]): Mutation => (b) => Buffer.concat([b.subarray(0, n % (b.length + 1)), Buffer.from([byte]), b.subarray(n % (b.length + 1))])) },
  { weight: 1, arbitrary: fc.constantFrom('"model":"smart",', '"__proto__":{"admin":true},', '"constructor":{"prototype":{}},', '"max_tokens":1e400,', '"stream":true,"stream":false,').map(insertAfterBrace) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 5_000 }).map((depth): Mutation => () => Buffer.from(`{"model":"smart","messages":[{"role":"user","content":${'['.repeat(depth)}${']'.repeat(depth)}}]}`)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): Mutation => () => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant((b: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])) },
);

const serialise = (value: unknown): Buffer => Buffer.from(JSON.stringify(value) ?? 'null');

const SHAPES = { openai: openaiBody, anthropic: anthropicBody, responses: responsesBody, embeddings: embeddingsBody, gemini: geminiBody } as const;
export type FuzzedApi = keyof typeof SHAPES;

export function bodies(api: FuzzedApi): fc.Arbitrary<Buffer> {
  const shaped = fc.oneof({ weight: 8, arbitrary: SHAPES[api] as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
  return fc.tuple(shaped, mutation).map(([value, mutate]) => mutate(serialise(value)));
}

/** Mostly the valid key (either header), sometimes anything at all. */
export const headerSets: fc.Arbitrary<'valid-bearer' | 'valid-x-api-key' | Record<string, string>> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('valid-bearer' as const, 'valid-x-api-key' as const) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('authorization', 'x-api-key', 'x-keel-priority', 'anthropic-version'), fc.string({ maxLength: 60 }), { maxKeys: 3 }) },
);

export function rawHttpRequests(key: () => string): fc.Arbitrary<Buffer> {
  const path = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('/v1/chat/completions', '/v1/messages', '/v1/responses', '/v1/responses/resp_x', '/v1/embeddings', '/v1/models', '/healthz', '/metrics', '/admin/keys', '/', '/v1/chat/completions?x=1') },
    { weight: 1, arbitrary: fc.webPath() },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `/${s}`) },
  );
  const header = fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,16}$/), fc.string({ maxLength: 40 }));
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'BREW'),
      path,
      headers: fc.array(header, { maxLength: 4 }),
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
      auth: fc.constantFrom('bearer', 'x-api-key', 'none'),
      anthropic: fc.boolean(),
      body: fc.oneof(bodies('openai'), bodies('anthropic'), bodies('responses'), bodies('embeddings')),
      chunked: fc.boolean(),
    })
    .map((r) => {
      const lines = [`${r.method} ${r.path} HTTP/1.1`, 'Host: keel', 'Connection: close'];
      if (r.contentType !== '') lines.push(`Content-Type: ${r.contentType}`);
      if (r.auth === 'bearer') lines.push(`Authorization: Bearer ${key()}`);
      if (r.auth === 'x-api-key') lines.push(`x-api-key: ${key()}`);
      if (r.anthropic) lines.push('anthropic-version: 2023-06-01');
      for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
      const body = r.method === 'GET' || r.method === 'HEAD' ? Buffer.alloc(0) : r.body;
      if (r.chunked) lines.push('Transfer-Encoding: chunked');
      else lines.push(`Content-Length: ${body.length}`);
      const payload = r.chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
      return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), payload]);
    });
}

export const validConfig = {
  server: { port: 8787, body_limit_bytes: 1024 },
  deployments: [
    { id: 'a', provider: 'openai', model: 'gpt-4.1', api_key: '${OPENAI_API_KEY:-sk-x}', capabilities: { context_window: 1000 }, price: { input_per_mtok: 1, output_per_mtok: 2 } },
    { id: 'b', provider: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1', model: 'llama' },
  ],
  routes: { smart: { deployments: ['a', { id: 'b', weight: 2 }], retry: { max_attempts_per_deployment: 2 }, degraded: { message: 'down' } } },
  keys: [{ name: 'app', key: 'key-0123456789abcdef', models: ['smart'], rpm: 10 }],
  resilience: { breaker: { consecutive_failures: 5 } },
};

/** Every path into a document (keys and array indices). */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

export function configMutations(base: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(base).filter((p) => p.length > 0);
  const replacement = fc.oneof(junk, fc.string({ maxLength: 12 }), fc.constantFrom(undefined, null, -1, 0, 1e308, '${UNSET}', '${X:-y}', '$${', 'gemini', '__proto__'));
  const edit = fc.tuple(fc.constantFrom(...paths), replacement, fc.boolean());
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const doc = structuredClone(base) as Record<string | number, unknown>;
    for (const [path, value, addKey] of edits) {
      let node: Record<string | number, unknown> = doc;
      for (const seg of path.slice(0, -1)) {
        const next = node[seg];
        if (next === null || typeof next !== 'object') break;
        node = next as Record<string | number, unknown>;
      }
      node[addKey ? `${String(path.at(-1))}_x` : path.at(-1)!] = value;
    }
    return doc;
  });
}
