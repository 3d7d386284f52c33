import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAll } from './read-all.js';

describe('readAll', () => {
  it('joins every chunk into one buffer, and lets go of the stream', async () => {
    const stream = new PassThrough();
    const reading = readAll(stream);
    stream.write('ab');
    stream.write('cd');
    stream.end('e');
    expect((await reading).toString()).toBe('abcde');
    expect(stream.listenerCount('data') + stream.listenerCount('end') + stream.listenerCount('close')).toBe(0);
  });

  it("rejects with the stream's error, and when it closes before its end", async () => {
    const failing = new PassThrough();
    const failed = readAll(failing);
    failing.write('a');
    failing.destroy(new Error('reset'));
    await expect(failed).rejects.toThrow('reset');

    const closing = new PassThrough();
    const closed = readAll(closing, { prematureClose: () => new Error('left mid-body') });
    closing.write('a');
    closing.destroy();
    await expect(closed).rejects.toThrow('left mid-body');
    await expect(readAll(closing)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('stops at the error a chunk check returns, with the stream paused rather than destroyed', async () => {
    const stream = new PassThrough();
    const reading = readAll(stream, { onChunk: (size) => (size > 3 ? new Error('too large') : undefined) });
    stream.write('ab');
    stream.write('cd');
    await expect(reading).rejects.toThrow('too large');
    expect(stream.isPaused()).toBe(true);
    expect(stream.destroyed).toBe(false);
  });
});
