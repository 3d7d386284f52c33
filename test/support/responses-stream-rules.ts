/**
 * Test support: the wire rules of an OpenAI Responses stream, checked event by event on the raw SSE text.
 * Every frame is `event: <type>` + one `data:` line of the same type; sequence numbers run 0, 1, 2...;
 * the stream opens with `response.created` then `response.in_progress`; every item is added before its
 * deltas and done after them, one at a time; it ends with exactly one of `response.completed`,
 * `response.incomplete` or `response.failed`, carrying the whole response.
 */

export interface ResponsesStreamSummary {
  types: string[];
  text: string;
  calls: { callId: string; name: string; arguments: string }[];
  status: string;
  response: { id: string; status: string; usage: { input_tokens: number; output_tokens: number } | null; output: { type: string }[] };
}

type Event = Record<string, unknown> & { type: string; sequence_number: number };

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export function checkResponsesStream(text: string): ResponsesStreamSummary {
  const frames = text
    .split(/\r?\n\r?\n/)
    .map((frame) => frame.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.length > 0);
  const fail = (i: number, why: string): never => {
    throw new Error(`Responses stream, event ${i}: ${why}\n${text}`);
  };
  const events: Event[] = frames.map((lines, i) => {
    if (lines.length !== 2 || !lines[0]!.startsWith('event: ') || !lines[1]!.startsWith('data: ')) fail(i, `expected "event:" and "data:" lines, got ${JSON.stringify(lines)}`);
    const event = JSON.parse(lines[1]!.slice('data: '.length)) as Event;
    if (event.type !== lines[0]!.slice('event: '.length)) fail(i, `event line ${lines[0]} but data type ${event.type}`);
    if (event.sequence_number !== i) fail(i, `sequence_number ${event.sequence_number}, expected ${i}`);
    return event;
  });
  if (events[0]?.type !== 'response.created') fail(0, 'the first event must be response.created');
  if (events[1]?.type !== 'response.in_progress') fail(1, 'the second event must be response.in_progress');
  const last = events.at(-1)!;
  if (!TERMINAL.has(last.type)) fail(events.length - 1, `the stream must end with a terminal event, got ${last.type}`);
  let open: string | undefined;
  let text_ = '';
  const calls: ResponsesStreamSummary['calls'] = [];
  events.forEach((event, i) => {
    if (TERMINAL.has(event.type) && i !== events.length - 1) fail(i, `${event.type} before the end`);
    const item = event['item'] as { id: string; type: string; call_id?: string; name?: string; arguments?: string } | undefined;
    if (event.type === 'response.output_item.added') {
      if (open !== undefined) fail(i, `item ${item!.id} added while ${open} is open`);
      open = item!.id;
    } else if (event.type === 'response.output_item.done') {
      if (open !== item!.id) fail(i, `item ${item!.id} done but ${String(open)} is open`);
      open = undefined;
      if (item!.type === 'function_call') calls.push({ callId: item!.call_id!, name: item!.name!, arguments: item!.arguments! });
    } else if ('item_id' in event && event['item_id'] !== open) {
      fail(i, `${event.type} for ${String(event['item_id'])} while ${String(open)} is open`);
    }
    if (event.type === 'response.output_text.delta') text_ += event['delta'] as string;
  });
  if (open !== undefined && last.type !== 'response.failed') fail(events.length - 1, `item ${open} never done`);
  const response = last['response'] as ResponsesStreamSummary['response'];
  return { types: events.map((e) => e.type), text: text_, calls, status: response.status, response };
}
