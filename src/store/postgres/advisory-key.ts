/**
 * PostgreSQL advisory locks are named by a 64-bit integer; Keel names them by text ("keel:migrate:<schema>",
 * "keel:lease:<name>") and derives the integer here. The hash is computed in JavaScript (not with the
 * server's `hashtext`, an internal function free to change between major versions) so that every replica,
 * whatever server version it meets, asks for the same lock.
 */
import { createHash } from 'node:crypto';

/** A signed 64-bit key, as a decimal string (pass it as `$1::bigint`: it can exceed 2^53). */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
