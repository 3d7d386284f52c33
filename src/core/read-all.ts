/**
 * Reads a stream to its end into one Buffer with plain listeners rather than `for await`: the stream's
 * async iterator costs an object graph and an end-of-stream watch per read, and the request path reads two
 * bodies per answer (the client's, and a provider's JSON answer). A stream that errors rejects with its
 * error; one that closes with neither an end nor an error rejects as a premature close; it never hangs.
 */
import type { Readable } from 'node:stream';

export interface ReadAllOptions {
  /**
   * Runs on every chunk with the bytes read so far. An error it returns ends the read with that error, the
   * stream paused, not destroyed (so a server can still answer on its socket).
   */
  onChunk?: (size: number) => Error | undefined;
  /** What the read rejects with when the stream closes before its end, with no error of its own. */
  prematureClose?: () => Error;
}

export function readAll(stream: Readable, options: ReadAllOptions = {}): Promise<Buffer> {
  const { onChunk, prematureClose = defaultPrematureClose } = options;
  if (stream.destroyed) return Promise.reject(prematureClose());
  if (stream.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | undefined): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err === undefined) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      const stop = onChunk?.(size);
      if (stop === undefined) {
        chunks.push(chunk);
        return;
      }
      stream.pause();
      settle(stop);
    };
    const onEnd = (): void => settle(undefined);
    const onError = (err: Error): void => settle(err);
    const onClose = (): void => settle(prematureClose());
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

function defaultPrematureClose(): Error {
  return Object.assign(new Error('the stream closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
