/**
 * Random bytes drawn from a pool filled a few kilobytes at a time: ids made on every request (request
 * ids, trace and span ids) cost a slice of the pool, not a syscall or a UUID's formatting each.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096; // 256 request ids or ~100 traces per refill

export class RandomBytes {
  pool = Buffer.allocUnsafe(POOL_BYTES);
  private at = POOL_BYTES;

  /** Where `bytes` fresh random bytes start in `pool`. */
  take(bytes: number): number {
    if (this.at + bytes > this.pool.length) {
      if (bytes > this.pool.length) this.pool = Buffer.allocUnsafe(bytes);
      randomFillSync(this.pool);
      this.at = 0;
    }
    const at = this.at;
    this.at += bytes;
    return at;
  }

  /** `bytes` fresh random bytes as lowercase hex. */
  hex(bytes: number): string {
    const at = this.take(bytes);
    return this.pool.toString('hex', at, at + bytes);
  }
}
