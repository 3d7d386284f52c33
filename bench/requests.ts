/**
 * The one request every scenario sends, in its two modes, and how to tell a complete answer from a broken
 * one. The client always asks for `bench`; directly and through the bare proxy the simulator answers as
 * `bench`, through Keel the route `bench` sends it upstream as `sim-1` (same length, so every scenario
 * moves the same number of bytes) and the model swap of pass-through is part of what is measured. A
 * stream asks for its usage chunk. The
 * translated scenario sends the same question as an Anthropic Messages client (`ANTHROPIC_CALL`).
 */

export type Mode = 'json' | 'stream';
export const MODES: readonly Mode[] = ['json', 'stream'];

export const CLIENT_MODEL = 'bench';
export const UPSTREAM_MODEL = 'sim-1';
export const CHAT_PATH = '/v1/chat/completions';

/** A past conversation of `turns` turns of about 1 KB each (a realistic prompt's size), instead of one question. */
function conversation(turns: number): { role: string; content: string }[] {
  return Array.from({ length: turns }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(18) }));
}

export function requestBody(mode: Mode, model = CLIENT_MODEL, turns = 0): string {
  const body: Record<string, unknown> = { model, messages: turns > 0 ? conversation(turns) : [{ role: 'user', content: 'Hello, Keel' }] };
  if (mode === 'stream') {
    body['stream'] = true;
    // As the AI SDK and LangChain ask by default, and as Keel asks on behalf of a client that does not
    // (it charges every stream's usage): so the floor and Keel carry the same upstream bytes.
    body['stream_options'] = { include_usage: true };
  }
  return JSON.stringify(body);
}

export const REQUEST_HEADERS = { 'content-type': 'application/json' } as const;

/** A 200 whose body is a whole chat completion, or a whole stream ending in `[DONE]`. */
export function isCompleteAnswer(mode: Mode, status: number, body: string): boolean {
  if (status !== 200) return false;
  return mode === 'stream' ? body.endsWith('data: [DONE]\n\n') : body.startsWith('{') && body.includes('"choices"');
}

/** How a client of one API asks the question and recognises a whole answer. */
export interface ClientCall {
  path: string;
  headers: Record<string, string>;
  body(mode: Mode, model?: string): string;
  isComplete(mode: Mode, status: number, body: string): boolean;
}

export type Dialect = 'openai' | 'anthropic';

export const OPENAI_CALL: ClientCall = { path: CHAT_PATH, headers: REQUEST_HEADERS, body: (mode, model) => requestBody(mode, model), isComplete: isCompleteAnswer };

/** The same question from an Anthropic Messages client: Keel translates it for the OpenAI-format simulator, and back. */
export const ANTHROPIC_CALL: ClientCall = {
  path: '/v1/messages',
  headers: { ...REQUEST_HEADERS, 'anthropic-version': '2023-06-01' },
  body: (mode, model = CLIENT_MODEL) => JSON.stringify({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello, Keel' }], ...(mode === 'stream' ? { stream: true } : {}) }),
  isComplete: (mode, status, body) => {
    if (status !== 200) return false;
    return mode === 'stream' ? body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n') : body.startsWith('{') && body.includes('"type":"message"');
  },
};

export const CLIENT_CALLS: Record<Dialect, ClientCall> = { openai: OPENAI_CALL, anthropic: ANTHROPIC_CALL };
