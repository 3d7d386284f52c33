/**
 * Test support: parses Anthropic SSE text and checks the event-order rules the API follows and the SDKs
 * rely on, independently of the SDK's own (more forgiving) accumulator. Throws naming the first broken rule.
 */

export interface AnthropicSseEvent {
  event: string;
  data: { type: string; index?: number; [key: string]: unknown };
}

export function parseAnthropicSse(text: string): AnthropicSseEvent[] {
  const frames = text.split('\n\n').filter((f) => f.trim() !== '');
  return frames.map((frame) => {
    const lines = frame.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))?.slice('event: '.length);
    const data = lines.find((l) => l.startsWith('data: '))?.slice('data: '.length);
    if (event === undefined || data === undefined || lines.length !== 2) throw new Error(`malformed frame: ${JSON.stringify(frame)}`);
    const parsed = JSON.parse(data) as AnthropicSseEvent['data'];
    if (parsed.type !== event) throw new Error(`event "${event}" carries data of type "${parsed.type}"`);
    return { event, data: parsed };
  });
}

/** Checks a complete (successful) stream; returns the parsed events. */
export function checkAnthropicEventOrder(text: string): AnthropicSseEvent[] {
  const events = parseAnthropicSse(text).filter((e) => e.event !== 'ping');
  const fail = (i: number, why: string): never => {
    throw new Error(`event ${i} (${events[i]?.event ?? 'end'}): ${why}`);
  };
  if (events[0]?.event !== 'message_start') fail(0, 'the first event must be message_start');
  let open: number | undefined;
  let started = 0;
  let deltas = 0;
  events.forEach((e, i) => {
    const { data } = e;
    switch (e.event) {
      case 'message_start':
        if (i !== 0) fail(i, 'message_start must come once, first');
        return;
      case 'content_block_start':
        if (open !== undefined) fail(i, `block ${open} is still open`);
        if (data.index !== started) fail(i, `expected index ${started}, got ${String(data.index)}`);
        open = started++;
        return;
      case 'content_block_delta':
        if (open === undefined || data.index !== open) fail(i, `delta for index ${String(data.index)} while ${String(open)} is open`);
        return;
      case 'content_block_stop':
        if (open === undefined || data.index !== open) fail(i, `stop for index ${String(data.index)} while ${String(open)} is open`);
        open = undefined;
        return;
      case 'message_delta': {
        if (open !== undefined) fail(i, `block ${open} is still open`);
        deltas += 1;
        if (deltas > 1) fail(i, 'more than one message_delta');
        const usage = data['usage'] as { output_tokens?: unknown } | undefined;
        if (typeof usage?.output_tokens !== 'number') fail(i, 'message_delta needs usage.output_tokens');
        return;
      }
      case 'message_stop':
        if (i !== events.length - 1) fail(i, 'message_stop must be last');
        if (events[i - 1]?.event !== 'message_delta') fail(i, 'message_stop must follow message_delta');
        return;
      default:
        fail(i, 'unexpected event');
    }
  });
  if (events.at(-1)?.event !== 'message_stop') fail(events.length, 'the stream must end with message_stop');
  return events;
}
