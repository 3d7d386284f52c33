import { describe, expect, it } from 'vitest';
import { acceptRequestId, newRequestId } from './request-id.js';

describe('request ids', () => {
  it('makes 128-bit hex ids that never repeat, across refills of the random pool', () => {
    const ids = Array.from({ length: 2_000 }, newRequestId);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("echoes a sane client id and replaces a hostile or probe-looking one", () => {
    expect(acceptRequestId('client-42')).toBe('client-42');
    expect(acceptRequestId(['first', 'second'])).toBe('first');
    for (const bad of ['x'.repeat(129), 'a\r\nb', 'probe_1', '', undefined]) expect(acceptRequestId(bad)).toMatch(/^req_[0-9a-f]{32}$/);
  });
});
