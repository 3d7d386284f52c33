import { describe, expect, it } from 'vitest';
import { parseGoogleIncidents } from './parse-google-incidents.js';
import { parseStatusFeed } from './parse-status-feed.js';
import { parseStatuspage } from './parse-statuspage.js';
import { componentMatcher, deploymentsOf, resolveStatusSources } from './vendor-source-defaults.js';

describe('vendor status formats', () => {
  it('reads Google Cloud incidents.json: products as components, outage impact, open until it ends', () => {
    const text = JSON.stringify([
      {
        id: 'g1',
        begin: '2026-03-01T12:00:00+00:00',
        end: null,
        external_desc: 'Vertex Gemini API elevated errors',
        severity: 'high',
        status_impact: 'SERVICE_OUTAGE',
        affected_products: [{ title: 'Vertex Gemini API', id: 'x' }],
        uri: 'incidents/g1',
        updates: [{ when: '2026-03-01T12:10:00+00:00', text: 'Investigating', status: 'SERVICE_OUTAGE' }],
      },
      { id: 'g2', begin: '2026-02-01T00:00:00+00:00', end: '2026-02-01T01:00:00+00:00', status_impact: 'SERVICE_DISRUPTION', service_name: 'BigQuery' },
    ]);
    const { incidents } = parseGoogleIncidents(text);
    expect(incidents[0]).toMatchObject({ id: 'g1', status: 'investigating', impact: 'critical', components: ['Vertex Gemini API'], url: 'https://status.cloud.google.com/incidents/g1' });
    expect(incidents[0]!.resolvedAt).toBeUndefined();
    expect(incidents[1]).toMatchObject({ status: 'resolved', impact: 'minor', components: ['BigQuery'], resolvedAt: Date.UTC(2026, 1, 1, 1) });
    expect(() => parseGoogleIncidents('{"not":"a list"}')).toThrow(/not a list of incidents/);
  });

  it('reads RSS and Atom feeds: one incident per item, resolved and outage words noticed', () => {
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>AWS</title>
      <item><title><![CDATA[Service disruption: Amazon Bedrock (N. Virginia)]]></title><link>https://health.aws/1</link>
      <pubDate>Sun, 01 Mar 2026 12:00:00 GMT</pubDate><guid>aws-1</guid><description>Increased error rates &amp; latency</description></item>
      <item><title>Informational message: Amazon Bedrock</title><pubDate>Sun, 01 Mar 2026 13:00:00 GMT</pubDate><guid>aws-2</guid><description>The issue has been resolved.</description></item>
      <item><title>no date</title></item></channel></rss>`;
    const { incidents } = parseStatusFeed(rss);
    expect(incidents.map((i) => [i.id, i.status, i.impact])).toEqual([
      ['aws-1', 'investigating', 'major'],
      ['aws-2', 'resolved', 'minor'],
    ]);
    expect(incidents[0]!.updates[0]!.body).toBe('Increased error rates & latency');
    const atom = `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>az-1</id><title>Azure OpenAI Service - outage</title>
      <link href="https://azure.status/1"/><updated>2026-03-01T12:00:00Z</updated><summary>Customers may see errors</summary></entry></feed>`;
    expect(parseStatusFeed(atom).incidents[0]).toMatchObject({ id: 'az-1', url: 'https://azure.status/1', components: ['Azure OpenAI Service - outage'], impact: 'major' });
    expect(() => parseStatusFeed('{"json": true}')).toThrow(/neither RSS nor Atom/);
  });

  it('reads Statuspage v2, keeping unknown impact words as none and dropping undated incidents', () => {
    const text = JSON.stringify({
      components: [{ name: 'Group', status: 'operational', group: true }, { name: 'Claude API', status: 'partial_outage' }, { name: 'Odd', status: 'weird' }],
      incidents: [
        { id: 'a', name: 'A', status: 'Identified', impact: 'maintenance', created_at: '2026-03-01T12:00:00Z', incident_updates: [] },
        { id: 'b', name: 'B', status: 'investigating', impact: 'major', created_at: 'yesterday', incident_updates: [] },
      ],
    });
    const snapshot = parseStatuspage(text);
    expect(snapshot.incidents).toEqual([{ id: 'a', title: 'A', status: 'identified', impact: 'none', components: [], startedAt: Date.UTC(2026, 2, 1, 12), updates: [] }]);
    expect(snapshot.components).toEqual([{ name: 'Claude API', status: 'partial_outage' }, { name: 'Odd', status: 'operational' }]);
    expect(() => parseStatuspage('{"incidents": 3}')).toThrow(/not v2 JSON/);
  });

  it('resolves default sources for the providers in use, overrides, and patterns', () => {
    const deployments = [{ id: 'claude-direct', provider: 'anthropic' }, { id: 'claude-vertex', provider: 'vertex' }];
    const sources = resolveStatusSources(
      { enabled: true, on_major_outage: 'annotate', sources: { google: { enabled: true, components: [{ match: 'Vertex Gemini*', deployments: ['claude-vertex'] }] }, anthropic: { enabled: true, url: 'http://127.0.0.1:9/' } } },
      deployments,
    );
    expect(sources.map((s) => [s.name, s.urls])).toEqual([
      ['anthropic', ['http://127.0.0.1:9/api/v2/summary.json', 'http://127.0.0.1:9/api/v2/incidents.json']],
      ['google', ['https://status.cloud.google.com/incidents.json']],
    ]);
    expect(deploymentsOf(sources[0]!, ['Claude API', 'claude.ai'])).toEqual(['claude-direct']);
    expect(deploymentsOf(sources[1]!, ['vertex gemini api'])).toEqual(['claude-vertex']);
    expect(componentMatcher('a.b*')('A.B c')).toBe(true);
    expect(componentMatcher('a.b*')('axb')).toBe(false);
    expect(() => resolveStatusSources({ enabled: true, on_major_outage: 'annotate', sources: { mine: { enabled: true } } }, deployments)).toThrow(/expected a format and a url/);
  });
});
