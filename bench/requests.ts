/**
 * The one request every scenario sends, in its two modes, and how to tell a complete answer from a broken
 * one. The client always asks for `bench`; directly and through the bare proxy the simulator answers as
 * `bench`, through Keel the route `bench` sends it upstream as `sim-1` (same length, so every scenario
 * moves the same number of bytes) and the model swap of pass-through is part of what is measured.
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
  if (mode === 'stream') body['stream'] = true;
  return JSON.stringify(body);
}

export const REQUEST_HEADERS = { 'content-type': 'application/json' } as const;

/** A 200 whose body is a whole chat completion, or a whole stream ending in `[DONE]`. */
export function isCompleteAnswer(mode: Mode, status: number, body: string): boolean {
  if (status !== 200) return false;
  return mode === 'stream' ? body.endsWith('data: [DONE]\n\n') : body.startsWith('{') && body.includes('"choices"');
}
