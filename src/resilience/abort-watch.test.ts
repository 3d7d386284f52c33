import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Abortable, signalOf, watchOf, watchSignal } from './abort-watch.js';

describe('Abortable', () => {
  it('aborts once, telling each watcher the reason; a detached watcher hears nothing', () => {
    const client = new Abortable();
    const heard: unknown[] = [];
    client.onAbort((reason) => heard.push(reason));
    client.onAbort(() => heard.push('detached, yet told'))();
    const gone = new Error('client left');
    client.abort(gone);
    client.abort(new Error('again'));
    expect(client.aborted).toBe(true);
    expect(client.reason).toBe(gone);
    expect(heard).toEqual([gone]);
  });

  it('aborts with an AbortError when no reason is given, as an AbortController does', () => {
    const client = new Abortable();
    client.abort();
    expect(client.reason).toMatchObject({ name: 'AbortError' });
  });

  it('makes an AbortSignal only when asked, already aborted if it has', () => {
    const before = new Abortable();
    const signal = before.signal;
    expect(signal.aborted).toBe(false);
    before.abort(new Error('x'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toEqual(new Error('x'));

    const after = new Abortable();
    after.abort(new Error('y'));
    expect(after.signal.reason).toEqual(new Error('y'));
    expect(signalOf(after)).toBe(after.signal);
  });
});

describe('watchSignal', () => {
  it('watches an AbortSignal, and its detach removes the listener', () => {
    const controller = new AbortController();
    const watch = watchOf(controller.signal);
    const heard: unknown[] = [];
    const detach = watch.onAbort((reason) => heard.push(reason));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    detach();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    watch.onAbort((reason) => heard.push(reason));
    controller.abort(new Error('z'));
    expect(heard).toEqual([new Error('z')]);
    expect(watch.aborted).toBe(true);
    expect(signalOf(controller.signal)).toBe(controller.signal);
    expect(watchSignal(controller.signal).signal).toBe(controller.signal);
  });
});
