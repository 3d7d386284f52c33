import { describe, expect, it } from 'vitest';
import { vendorPlanOrder } from './vendor-plan-order.js';

const plan = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
const ids = (p: { id: string }[]): string[] => p.map((d) => d.id);

describe('vendorPlanOrder', () => {
  it('annotate leaves plans alone (no hook at all)', () => {
    expect(vendorPlanOrder('annotate', () => true)).toBeUndefined();
  });

  it('demote tries deployments in a vendor-declared outage after the others, in their order', () => {
    const order = vendorPlanOrder<{ id: string }>('demote', (id) => id === 'a' || id === 'b')!;
    expect(ids(order(plan))).toEqual(['c', 'a', 'b']);
  });

  it('open leaves them out, unless nothing else would be left', () => {
    const order = vendorPlanOrder<{ id: string }>('open', (id) => id === 'a')!;
    expect(ids(order(plan))).toEqual(['b', 'c']);
    const all = vendorPlanOrder<{ id: string }>('open', () => true)!;
    expect(ids(all(plan))).toEqual(['a', 'b', 'c']);
  });
});
