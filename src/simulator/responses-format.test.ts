import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  sim ??= await startSimulator();
  return fetch(sim.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

function events(text: string): { event: string; data: Record<string, any> }[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => {
      const [event, data] = f.split('\n');
      return { event: event!.replace('event: ', ''), data: JSON.parse(data!.replace('data: ', '')) as Record<string, any> };
    });
}

describe('simulator: OpenAI Responses API', () => {
  it('answers JSON with a message item, usage and the request settings echoed', async () => {
    const res = await post('/v1/responses', { model: 'm', input: 'hi there', instructions: 'Be brief.', metadata: { a: 'b' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'm', instructions: 'Be brief.', metadata: { a: 'b' } });
    expect(body['output'][0]).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello from m. You said: hi there' }] });
    expect(body['usage'].output_tokens).toBeGreaterThan(0);
  });

  it('streams named events with consecutive sequence numbers, a function call whole at the end', async () => {
    const res = await post('/v1/responses', { model: 'm', input: 'weather?', stream: true, tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } }] });
    const all = events(await res.text());
    expect(all.map((e) => e.data['sequence_number'])).toEqual(all.map((_, i) => i));
    expect(all.every((e) => e.event === e.data['type'])).toBe(true);
    expect(all.map((e) => e.event)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.function_call_arguments.delta',
      'response.function_call_arguments.delta', 'response.function_call_arguments.delta', 'response.function_call_arguments.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(all.at(-1)!.data['response'].output[0]).toMatchObject({ type: 'function_call', name: 'f', arguments: '{"q":"sample"}' });
  });

  it('continues a function call with its output, and breaks a stream with an error event on the in_stream_error fault', async () => {
    const answered = (await (await post('/v1/responses', { model: 'm', input: [{ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: '42' }] })).json()) as Record<string, any>;
    expect(answered['output'][0].content[0].text).toBe('Tool f returned: 42');
    sim!.setFault('m', { type: 'in_stream_error', afterTokens: 1, kind: 'overloaded' });
    const broken = events(await (await post('/v1/responses', { model: 'm', input: 'a b c d', stream: true })).text());
    expect(broken.at(-1)).toMatchObject({ event: 'error', data: { type: 'error', code: 'server_is_overloaded' } });
  });

  it("answers a JSON schema request with an object that validates against it", async () => {
    const body = (await (await post('/v1/responses', { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } } })).json()) as Record<string, any>;
    expect(JSON.parse(body['output'][0].content[0].text)).toEqual({ n: 1 });
  });
});

describe('simulator: embeddings and token counting', () => {
  it('embeds each input as a deterministic unit vector that depends on the model', async () => {
    const embed = async (model: string) => (await (await post('/v1/embeddings', { model, input: ['a', 'b'], dimensions: 4 })).json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
    const first = await embed('e1');
    expect(first.data).toHaveLength(2);
    expect(Math.hypot(...first.data[0]!.embedding)).toBeCloseTo(1);
    expect((await embed('e1')).data[0]!.embedding).toEqual(first.data[0]!.embedding);
    expect((await embed('e2')).data[0]!.embedding).not.toEqual(first.data[0]!.embedding);
    expect((await post('/v1/embeddings', { model: 'e1', input: [] })).status).toBe(400);
    expect((await post('/v1/embeddings', { model: 'e1', input: 'a', dimensions: 100_000_000 })).status).toBe(400);
  });

  it("counts tokens in Anthropic's and Gemini's shapes", async () => {
    const anthropic = await post('/v1/messages/count_tokens', { model: 'c', messages: [{ role: 'user', content: 'count me please' }] }, { 'anthropic-version': '2023-06-01' });
    expect(((await anthropic.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    const gemini = await post('/v1beta/models/g:countTokens', { contents: [{ parts: [{ text: 'count me please' }] }] });
    expect(((await gemini.json()) as { totalTokens: number }).totalTokens).toBeGreaterThan(0);
  });
});
