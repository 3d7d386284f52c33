import type { StreamEvent } from '../../src/core/chat-response.js';
import type { AttemptResult, StreamItem } from '../../src/providers/types.js';

/**
 * Reading a provider's attempt in tests: every item of a stream (failing loudly when the attempt was not
 * a stream), the canonical events among them, and the text they spell.
 */
export async function streamItems(result: AttemptResult): Promise<StreamItem[]> {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${JSON.stringify(result)}`);
  const out: StreamItem[] = [];
  for await (const item of result.items) out.push(item);
  return out;
}

export const streamEvents = (all: StreamItem[]): StreamEvent[] => all.flatMap((i) => (i.kind === 'data' ? i.events : []));

export const streamedText = (all: StreamItem[]): string => streamEvents(all).map((e) => (e.type === 'text_delta' ? e.text : '')).join('');
