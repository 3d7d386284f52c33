/**
 * End to end: the built-in `regional` drill, replayed fast (an hour of scenario time in ten seconds).
 * The same Claude model on Anthropic, Bedrock (two regions) and Vertex, with GPT on Azure as the last
 * resort: every phase is answered, each outage phase mostly from the provider and region the scenario
 * expects next, and the report names provider and region for every phase and deployment.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, loadScenario, runDrill, type DrillReport } from '../../src/drill/index.js';
import { renderReportTable } from '../../src/drill/report-table.js';

let report: DrillReport;

describe('the regional drill', () => {
  beforeAll(async () => {
    report = buildReport(await runDrill(loadScenario('regional'), { timeScale: 360, ratePerS: 15 }));
  }, 90_000);

  const top = (phase: string): string | undefined => {
    const from = report.phases.find((p) => p.name === phase)!.served_from!;
    return Object.entries(from).sort((a, b) => b[1] - a[1])[0]?.[0];
  };

  it('answers every request', () => {
    expect(report.overall.lost).toBe(0);
    expect(report.overall.failed).toBe(0);
    expect(report.overall.succeeded).toBe(report.overall.sent);
  });

  it('moves to Claude on another cloud or region at each outage, never to GPT', () => {
    expect(top('normal')).toBe('anthropic');
    expect(top('anthropic-overloaded')).toBe('bedrock us-east-1');
    expect(top('us-east-1-down')).toBe('bedrock us-west-2');
    expect(top('bedrock-throttled')).toBe('vertex us-east5');
    expect(report.overall.served_by['gpt-azure']).toBeUndefined();
  });

  it('reports provider and region for every phase and deployment', () => {
    expect(report.deployments.map((d) => [d.id, d.provider, d.region])).toEqual([
      ['claude-anthropic', 'anthropic', null],
      ['gpt-azure', 'azure-openai', null],
      ['claude-bedrock-east', 'bedrock', 'us-east-1'],
      ['claude-bedrock-west', 'bedrock', 'us-west-2'],
      ['claude-vertex', 'vertex', 'us-east5'],
    ]);
    const table = renderReportTable(report);
    expect(table).toContain('Served from (provider and region):');
    expect(table).toMatch(/us-east-1-down\s+bedrock us-west-2 \d+%/);
  });
});
