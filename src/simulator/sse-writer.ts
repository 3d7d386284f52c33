/**
 * Server-sent-event framing. A frame is one event (optional `event:` line plus `data:`), tagged with
 * what it means to the stream player: a content token (counted by faults like `stream_cut`), part of
 * the tail (finish reason, usage) or the terminator a `missing_done` fault drops.
 */

export interface SseFrame {
  /** The `event:` field; Anthropic names every event, OpenAI and Gemini send data only. */
  event?: string;
  /** Serialised as JSON unless a string (OpenAI's literal `[DONE]`). */
  data: unknown;
  /** Carries generated output (text, thinking or tool-argument delta). */
  token?: boolean;
  /** Belongs to the end of the stream: finish reason, usage, terminator. */
  tail?: boolean;
  /** The stream's terminator (`[DONE]`, `message_stop`, Gemini's final chunk). */
  terminal?: boolean;
}

export class SseFieldError extends Error {
  override readonly name = 'SseFieldError';
}

/**
 * Encodes one frame. A CR or LF inside the event name would end the field early and let data be read as
 * another field, so it is refused; data with line breaks becomes several `data:` lines, which the SSE
 * spec joins back with '\n'.
 */
export function encodeFrame(frame: SseFrame): string {
  const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data);
  let out = '';
  if (frame.event !== undefined) {
    if (/[\r\n]/.test(frame.event)) throw new SseFieldError('SSE event name must not contain CR or LF');
    out += `event: ${frame.event}\n`;
  }
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Standard headers of an SSE response. */
export function sseHeaders(contentType = 'text/event-stream; charset=utf-8'): Record<string, string> {
  return { 'content-type': contentType, 'cache-control': 'no-cache' };
}
