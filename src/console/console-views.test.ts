import { describe, expect, it } from 'vitest';
import type { Incident } from '../store/index.js';
import { auditFragment, incidentsFragment, keysFragment, sloFragment, type KeyView } from './console-views-admin.js';
import { breakersFragment } from './console-views-live.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const EVIL = '<script>alert(1)</script>';

describe('console views', () => {
  it('escapes every value that comes from data', () => {
    const incident: Incident = {
      id: 'inc_1',
      component: 'deployment:a',
      title: `Errors ${EVIL}`,
      status: 'investigating',
      impact: 'major_outage',
      openedAt: NOW - 600_000,
      impactStart: NOW - 660_000,
      updates: [{ at: NOW - 600_000, status: 'investigating', message: EVIL, author: EVIL, evidence: { sample: EVIL } }],
    };
    const html = [
      incidentsFragment([incident], [{ id: 'm', component: 'deployment:a', startsAt: NOW, endsAt: NOW + 1, description: EVIL, createdBy: 'console' }], NOW),
      auditFragment([{ at: NOW, actor: 'console', action: 'key.create', target: EVIL, details: { name: EVIL } }]),
      keysFragment([key({ name: 'a', tenant: EVIL, models: [EVIL] })], { requests: {}, tokens: {} }),
    ].join('');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('shows an open incident with its update form and resolve button, and a resolved one without', () => {
    const open: Incident = { id: 'inc_open', component: 'deployment:a', title: 'Down', status: 'identified', impact: 'major_outage', openedAt: NOW - 60_000, impactStart: NOW - 60_000, updates: [] };
    const done: Incident = { ...open, id: 'inc_done', status: 'resolved', resolvedAt: NOW, impactEnd: NOW };
    const html = incidentsFragment([open, done], [], NOW);
    expect(html).toContain('data-api="/console/api/incidents/inc_open/updates"');
    expect(html).toContain('data-api="/console/api/incidents/inc_open/resolve"');
    expect(html).not.toContain('/console/api/incidents/inc_done/updates');
    expect(html).toContain('Open incidents (1)');
  });

  it('shows keys against their limits, with actions only for active keys from the store', () => {
    const html = keysFragment(
      [key({ id: 'k1', name: 'web', tenant: 'acme', rpm: 600, tpm: 20_000, daily_budget_usd: 10, spend_today_usd: 9.5 }), key({ id: 'k2', name: 'old', status: 'revoked' }), key({ id: 'k3', name: 'cfg', source: 'config' })],
      { requests: { acme: 42 }, tokens: { acme: 1_234 } },
    );
    expect(html).toContain('42 of 600');
    expect(html).toContain('1,234 of 20,000');
    expect(html).toContain('$9.50 of $10.00');
    expect(html).toContain('class="fill low"');
    expect(html).toContain('/console/api/keys/k1/revoke');
    expect(html).not.toContain('/console/api/keys/k2/');
    expect(html).not.toContain('/console/api/keys/k3/');
    expect(html).toContain('from the config file');
  });

  it('shows SLO budgets and firing alerts, and says when no SLO is configured', () => {
    expect(sloFragment(null)).toContain('No SLOs are configured');
    const html = sloFragment({
      evaluatedAtMs: NOW,
      slos: [
        {
          slo: { name: 'smart-availability', route: 'smart', target: 0.999, windowDays: 30, sli: { kind: 'availability' } },
          budget: { sli: 0.998, good: 998, total: 1000, bad: 2, allowedBad: 1, remaining: -1 },
          alerts: [{ alert: 'page-fast', severity: 'page', burnRateThreshold: 14.4, longWindowMs: 3_600_000, shortWindowMs: 300_000, longBurnRate: 20, shortBurnRate: 25, firing: true, firingSinceMs: NOW - 60_000 }],
        },
      ],
    });
    expect(html).toContain('smart-availability');
    expect(html).toContain('target 99.9% over 30 days');
    expect(html).toContain('-100.0%</strong> of the error budget left');
    expect(html).toContain('a-firing');
    expect(html).toContain('20.00× over 1 h');
  });

  it('offers force open and close as the breaker state allows', () => {
    const html = breakersFragment([
      { id: 'a', snapshot: { deploymentId: 'a', epoch: 1, lastFailureAtMs: null, state: { state: 'closed', consecutiveFailures: 0, window: { buckets: [] } as never } }, inFlight: 0, limit: 10 },
      { id: 'b', snapshot: { deploymentId: 'b', epoch: 2, lastFailureAtMs: NOW, state: { state: 'forced_open', openedAtMs: NOW } }, inFlight: 0, limit: 10 },
    ]);
    const rowA = html.slice(html.indexOf('data-breaker="a"'), html.indexOf('data-breaker="b"'));
    const rowB = html.slice(html.indexOf('data-breaker="b"'));
    expect(rowA).toMatch(/\/breakers\/a\/open"[^>]*data-done="[^"]*" >Force open/);
    expect(rowA).toMatch(/\/breakers\/a\/close"[^>]*disabled>Force close/);
    expect(rowB).toMatch(/\/breakers\/b\/open"[^>]*disabled>Force open/);
    expect(rowB).toContain('held open by an operator');
  });
});

function key(over: Partial<KeyView>): KeyView {
  return {
    id: 'k',
    name: 'k',
    prefix: 'keel_abc',
    tenant: 'k',
    status: 'active',
    source: 'store',
    models: null,
    rpm: null,
    tpm: null,
    daily_budget_usd: null,
    monthly_budget_usd: null,
    priority: 'interactive',
    created_at: null,
    expires_at: null,
    spend_today_usd: 0,
    spend_this_month_usd: 0,
    ...over,
  };
}
