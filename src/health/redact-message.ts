/**
 * Upstream error messages kept as incident evidence: every key Keel knows is removed, anything shaped
 * like a key too (a provider may echo another one back), and long bodies are cut to their gist.
 */
import { secrets } from '../core/secrets.js';

const KEY_SHAPED = /\b(?:sk|key|AIza)[-_A-Za-z0-9]{16,}|\bBearer\s+[-._A-Za-z0-9]{16,}/g;

export function redactMessage(message: string, maxChars: number): string {
  const redacted = secrets.redact(message).replace(KEY_SHAPED, '[REDACTED]');
  return redacted.length > maxChars ? `${redacted.slice(0, maxChars)}…` : redacted;
}
