/**
 * Provider API keys must never leave Keel: not in logs, error bodies, metrics or the status page. Every
 * secret Keel loads is registered here, and every text that crosses a boundary (an upstream error message
 * relayed to a client, a log line) goes through `redact`.
 */
const MIN_SECRET_LENGTH = 6; // shorter values would redact ordinary words

export class SecretRegistry {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;
  /** Built at the first redaction after an `add`: registering 10,000 keys one by one was quadratic. */
  private stale = false;

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.stale = true;
  }

  redact(text: string): string {
    if (this.stale) this.rebuild();
    return this.pattern === undefined ? text : text.replace(this.pattern, '[REDACTED]');
  }

  private rebuild(): void {
    this.stale = false;
    // Longest first, so a secret that contains another is removed whole.
    const escaped = [...this.secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(escaped.join('|'), 'g');
  }

  values(): string[] {
    return [...this.secrets];
  }
}

/** The process-wide registry: keys are process-wide too (they come from the environment and files). */
export const secrets = new SecretRegistry();
