import { describe, expect, it } from 'vitest';
import { SecretRegistry } from './secrets.js';

describe('SecretRegistry', () => {
  it('redacts every registered secret, the longer one whole when one contains another', () => {
    const r = new SecretRegistry();
    r.add('sk-abcdef');
    r.add('sk-abcdef-123456');
    r.add('short'); // under 6 characters: would redact ordinary words
    expect(r.redact('a sk-abcdef-123456 b sk-abcdef c short')).toBe('a [REDACTED] b [REDACTED] c short');
  });

  it('redacts a secret added after an earlier redaction, and special characters literally', () => {
    const r = new SecretRegistry();
    expect(r.redact('nothing yet')).toBe('nothing yet');
    r.add('p4ss.w*rd(1)');
    expect(r.redact('url p4ss.w*rd(1) and p4ssXwwrd1')).toBe('url [REDACTED] and p4ssXwwrd1');
    r.add('tok-999999');
    expect(r.redact('tok-999999 p4ss.w*rd(1)')).toBe('[REDACTED] [REDACTED]');
  });

  it('takes thousands of keys (one config file of virtual keys) and still redacts each', () => {
    const r = new SecretRegistry();
    for (let i = 0; i < 5_000; i++) r.add(`sk-keel-${String(i).padStart(5, '0')}-secret`);
    expect(r.redact('x sk-keel-04999-secret y sk-keel-00000-secret')).toBe('x [REDACTED] y [REDACTED]');
    expect(r.values()).toHaveLength(5_000);
  });
});
