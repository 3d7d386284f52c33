import { describe, expect, it } from 'vitest';
import { SecretRegistry } from './secrets.js';

// Every behaviour holds for both ways of finding secrets: one regular expression (few secrets) and the
// rolling-hash index (many); `regexUpTo` 0 sends even one secret to the index.
describe.each([
  ['one regular expression', undefined],
  ['the rolling-hash index', 0],
])('SecretRegistry, found by %s', (_name, regexUpTo) => {
  it('redacts every registered secret, the longer one whole when one contains another', () => {
    const r = new SecretRegistry(regexUpTo);
    r.add('sk-abcdef');
    r.add('sk-abcdef-123456');
    r.add('short'); // under 6 characters: would redact ordinary words
    expect(r.redact('a sk-abcdef-123456 b sk-abcdef c short')).toBe('a [REDACTED] b [REDACTED] c short');
  });

  it('redacts a secret added after an earlier redaction, and special characters literally', () => {
    const r = new SecretRegistry(regexUpTo);
    expect(r.redact('nothing yet')).toBe('nothing yet');
    r.add('p4ss.w*rd(1)');
    expect(r.redact('url p4ss.w*rd(1) and p4ssXwwrd1')).toBe('url [REDACTED] and p4ssXwwrd1');
    r.add('tok-999999');
    expect(r.redact('tok-999999 p4ss.w*rd(1)')).toBe('[REDACTED] [REDACTED]');
  });

  it('takes thousands of keys (one config file of virtual keys) and still redacts each', () => {
    const r = new SecretRegistry(regexUpTo);
    for (let i = 0; i < 5_000; i++) r.add(`sk-keel-${String(i).padStart(5, '0')}-secret`);
    expect(r.redact('x sk-keel-04999-secret y sk-keel-00000-secret')).toBe('x [REDACTED] y [REDACTED]');
    // Thousands share their first characters, and a near miss is left alone.
    expect(r.redact('sk-keel-00000-secre sk-keel-12345-secret sk-keel-00042-secretsk-keel-00043-secret')).toBe('sk-keel-00000-secre sk-keel-12345-secret [REDACTED][REDACTED]');
    expect(r.values()).toHaveLength(5_000);
  });

  it('finds a secret at the very start and end of a text, next to another, and in non-ASCII text', () => {
    const r = new SecretRegistry(regexUpTo);
    r.add('sk-abcdef');
    r.add('gsk_ZZZZZZZZ');
    r.add('клюЧ-секрет');
    expect(r.redact('sk-abcdef')).toBe('[REDACTED]');
    expect(r.redact('sk-abcdefgsk_ZZZZZZZZ')).toBe('[REDACTED][REDACTED]');
    expect(r.redact('→ клюЧ-секрет ←, sk-abcde, sk-abcdef')).toBe('→ [REDACTED] ←, sk-abcde, [REDACTED]');
    expect(r.redact('sk-abc')).toBe('sk-abc');
    expect(r.redact('')).toBe('');
  });

  it('redacts the same as a search for each secret in turn, on random texts and secrets', () => {
    // A small alphabet makes overlaps, shared starts and near misses common.
    let seed = 7;
    const random = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const word = (min: number, max: number): string => Array.from({ length: min + random(max - min + 1) }, () => 'ab-c'[random(4)]).join('');
    for (let round = 0; round < 500; round++) {
      const r = new SecretRegistry(regexUpTo);
      const list = Array.from({ length: 1 + random(6) }, () => word(6, 10));
      for (const s of list) r.add(s);
      const text = word(0, 60);
      const sorted = [...new Set(list)].sort((a, b) => b.length - a.length);
      let expected = '';
      for (let at = 0; at < text.length; ) {
        const s = sorted.find((x) => text.startsWith(x, at));
        if (s === undefined) expected += text[at++];
        else {
          expected += '[REDACTED]';
          at += s.length;
        }
      }
      expect(r.redact(text), `${JSON.stringify(list)} in ${text}`).toBe(expected);
    }
  });
});
