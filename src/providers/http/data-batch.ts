/**
 * One data item per upstream read. The stream readers decode every event that one read of the body
 * completed (`readSseItems`, `readFramedItems`) one by one and collect the results here, so the
 * item that travels up (commit, failover watch, client writer, socket write) carries all of them: the
 * per-item work is done once per read, not once per event. Events come with their verbatim frames; those
 * of an event that is not forwarded come with none (''), so the router still learns what they carry. An
 * end or failure met mid-batch is yielded after the data before it.
 */
import type { StreamEvent } from '../../core/chat-response.js';
import type { StreamItem } from '../types.js';

export class DataBatch {
  private events: StreamEvent[] = [];
  private raw: string | undefined;

  /** `events` becomes the batch's: the decoder made it for this event and keeps no reference. */
  add(events: StreamEvent[], raw: string): void {
    if (this.raw === undefined) {
      this.events = events;
      this.raw = raw;
      return;
    }
    for (const event of events) this.events.push(event);
    this.raw += raw;
  }

  /**
   * The collected data as one item (and an empty batch again), or undefined when nothing was collected.
   * `bytes`: the upstream's own bytes of exactly these frames, when the reader could vouch for them.
   */
  take(bytes: Buffer | undefined): Extract<StreamItem, { kind: 'data' }> | undefined {
    if (this.raw === undefined) return undefined;
    const item = { kind: 'data' as const, events: this.events, raw: this.raw, bytes };
    this.events = [];
    this.raw = undefined;
    return item;
  }
}
