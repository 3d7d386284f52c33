import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { AdmissionQueue, AdmissionRejected } from './admission-queue.js';
import { watchSignal } from './abort-watch.js';

const never = watchSignal(new AbortController().signal);
const settle = () => new Promise((r) => setImmediate(r));

describe('AdmissionQueue', () => {
  it('admits up to the limit at once, queues the rest and admits them as slots free', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueue: 10, maxWaitMs: 1000 }, new ManualClock());
    const release = await queue.acquire('interactive', never, 1000);
    let admitted = false;
    const waiting = queue.acquire('interactive', never, 1000).then((r) => {
      admitted = true;
      return r;
    });
    await settle();
    expect(admitted).toBe(false);
    expect(queue.queued).toBe(1);
    release();
    (await waiting)();
    expect(admitted).toBe(true);
    expect(queue.inFlight).toBe(0);
  });

  it('admits at once without a promise while there is room, never ahead of a request already waiting', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueue: 10, maxWaitMs: 1000 }, new ManualClock());
    const release = queue.tryAcquire();
    expect(release).toBeTypeOf('function');
    expect(queue.tryAcquire()).toBeUndefined(); // full
    const waiting = queue.acquire('interactive', never, 1000);
    release!();
    // The slot went to the request that waited for it, not to whoever asks next.
    expect(queue.tryAcquire()).toBeUndefined();
    (await waiting)();
    expect(queue.inFlight).toBe(0);
    expect(queue.tryAcquire()).toBeTypeOf('function');
  });

  it('serves interactive before batch, and evicts batch to make room for interactive', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueue: 2, maxWaitMs: 1000 }, new ManualClock());
    const release = await queue.acquire('interactive', never, 1000);
    const order: string[] = [];
    const outcome = (name: string, p: Promise<() => void>) =>
      p.then(
        (r) => {
          order.push(name);
          r();
        },
        (e: AdmissionRejected) => order.push(`${name}:${e.reason}`),
      );
    const batch1 = outcome('batch1', queue.acquire('batch', never, 1000));
    const batch2 = outcome('batch2', queue.acquire('batch', never, 1000));
    const inter = outcome('interactive', queue.acquire('interactive', never, 1000));
    const late = outcome('batch3', queue.acquire('batch', never, 1000));
    await settle();
    expect(order).toEqual(['batch2:evicted', 'batch3:queue_full']);
    release();
    await Promise.all([batch1, batch2, inter, late]);
    expect(order).toEqual(['batch2:evicted', 'batch3:queue_full', 'interactive', 'batch1']);
  });

  it('never waits past the request deadline or the wait cap, and leaves when the client goes', async () => {
    const clock = new ManualClock();
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueue: 10, maxWaitMs: 5000 }, clock);
    await queue.acquire('interactive', never, 1000);
    const byDeadline = queue.acquire('interactive', never, 200);
    const client = new AbortController();
    const byClient = queue.acquire('batch', watchSignal(client.signal), 10_000);
    client.abort();
    await expect(byClient).rejects.toMatchObject({ reason: 'aborted' });
    clock.advance(200);
    await expect(byDeadline).rejects.toMatchObject({ reason: 'queue_timeout' });
    expect(queue.queued).toBe(0);
  });
});
