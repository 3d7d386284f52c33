/**
 * The stream timeout every upstream stream reader applies, whatever the framing (SSE, AWS event stream):
 * once the first event has come, each next one must come within the idle budget, and time spent waiting
 * for our own consumer (a slow client) is not charged to the provider. The wait for the first event is
 * timed by the router's attempt clock, through the request's signal. On expiry the body is destroyed
 * with a `StreamTimeoutError`, which the reader's loop then throws. Also how a reader lets go of a body
 * it stops reading early.
 */
import type { Readable } from 'node:stream';
import { StreamTimeoutError } from './network-failure.js';

const DRAIN_LIMIT_MS = 1_000; // a finished answer's body ends at once; past this the socket is not worth it

export class StreamWatchdog {
  private waitingOnConsumer = false;
  /** Armed at the first event, refreshed as events come (one timer, cheap). */
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly body: Readable,
    private readonly idleMs: number,
  ) {}

  /** Events arrived: the idle budget applies from now on. */
  eventsArrived(): void {
    this.timer ??= setTimeout(() => this.expire(), Math.max(1, this.idleMs));
  }

  /** Around handing events to the consumer: its pace is not the provider's fault. */
  consumerBusy(busy: boolean): void {
    // Back from the consumer: the provider's budget starts afresh. Not when it was not away: a reader
    // woken by a ping asks again, and a ping is not progress.
    if (!busy && this.waitingOnConsumer) this.timer?.refresh();
    this.waitingOnConsumer = busy;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private expire(): void {
    if (this.waitingOnConsumer) this.timer?.refresh();
    else this.body.destroy(new StreamTimeoutError('idle', this.idleMs));
  }
}

/**
 * Lets go of a body its reader stopped reading early. A complete answer's rest (a terminator) is drained
 * so the keep-alive socket goes back to the pool; otherwise (client gone mid-answer) the body is
 * destroyed, which also stops the provider generating.
 */
export function releaseBody(body: Readable, completed: boolean): void {
  if (body.destroyed || body.readableEnded) return;
  // Without a listener, undici's "Request aborted" error from a destroy would be an uncaught exception.
  body.on('error', () => undefined);
  if (!completed) {
    body.destroy();
    return;
  }
  const giveUp = setTimeout(() => body.destroy(), DRAIN_LIMIT_MS);
  giveUp.unref();
  body.once('close', () => clearTimeout(giveUp));
  body.resume();
}
