/**
 * The admin token check. Both sides are hashed first so `timingSafeEqual` compares equal-length digests:
 * the comparison takes the same time whatever the presented token, and leaks not even its length.
 * Accepted as `Authorization: Bearer <token>` or `x-keel-admin-token: <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { KeelError } from '../../core/errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export class AdminToken {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** Throws a 401 unless the request carries the admin token. */
  check(headers: Record<string, string | string[] | undefined>): void {
    const presented = presentedToken(headers);
    if (presented === undefined) {
      throw new KeelError('unauthorized', 'Missing admin token: send it as "Authorization: Bearer <token>" or "x-keel-admin-token: <token>".');
    }
    if (!timingSafeEqual(digest(presented), this.expected)) throw new KeelError('unauthorized', 'Invalid admin token.');
  }
}

function presentedToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['x-keel-admin-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers['authorization'];
  if (typeof authorization !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
}
