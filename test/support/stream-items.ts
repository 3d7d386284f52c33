import type { StreamEvent } from '../../src/core/chat-response.js';
import type { AttemptResult, StreamItem } from '../../src/providers/types.js';

/** Every item of a provider's stream answer (fails the test when the answer is not a stream). */
export async function streamItems(result: AttemptResult): Promise<StreamItem[]> {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${JSON.stringify(result)}`);
  const out: StreamItem[] = [];
  for await (const item of result.items) out.push(item);
  return out;
}

/** The canonical events of a stream's data items. */
export const streamEvents = (all: StreamItem[]): StreamEvent[] => all.flatMap((i) => (i.kind === 'data' ? i.events : []));

/** The answer text a stream carried. */
export const streamedText = (all: StreamItem[]): string => streamEvents(all).map((e) => (e.type === 'text_delta' ? e.text : '')).join('');
