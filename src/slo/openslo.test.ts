import { describe, expect, it } from 'vitest';
import { OpenSloError, parseOpenSlo, toOpenSlo } from './openslo.js';
import type { SloDefinition } from './slo-definition.js';

const availability = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: smart-availability
  displayName: Smart route answers
spec:
  service: keel
  indicator:
    metadata: { name: smart-answered }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: keel, spec: { route: smart, requests: answered } } }
        total: { metricSource: { type: keel, spec: { route: smart, requests: valid } } }
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: answered
      target: 0.999
`;

const latency = `apiVersion: openslo/v1
kind: SLO
metadata: { name: smart-latency }
spec:
  service: keel
  indicator:
    spec:
      ratioMetric:
        good: { metricSource: { type: keel, spec: { route: smart, requests: faster_than, threshold_ms: 2500 } } }
        total: { metricSource: { type: keel, spec: { route: smart, requests: all } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ targetPercent: 95 }]
`;

describe('OpenSLO', () => {
  it('imports availability and latency SLOs from a multi-document file', () => {
    expect(parseOpenSlo(`${availability}---\n${latency}`)).toEqual([
      { name: 'smart-availability', displayName: 'Smart route answers', route: 'smart', sli: { kind: 'availability' }, target: 0.999, windowDays: 28 },
      { name: 'smart-latency', route: 'smart', sli: { kind: 'latency', thresholdMs: 2500 }, target: 0.95, windowDays: 30 },
    ]);
  });

  it('exports what it imports (round trip)', () => {
    const slos: SloDefinition[] = [
      { name: 'all-availability', description: 'Every route', route: '*', sli: { kind: 'availability' }, target: 0.995, windowDays: 30 },
      { name: 'smart-latency', route: 'smart', sli: { kind: 'latency', thresholdMs: 1000 }, target: 0.9, windowDays: 28 },
    ];
    const yaml = toOpenSlo(slos);
    expect(yaml).toContain('apiVersion: openslo/v1');
    expect(yaml).toContain('ratioMetric:');
    expect(parseOpenSlo(yaml)).toEqual(slos);
  });

  it('reports every problem with the document, line and path', () => {
    const bad = availability
      .replace('duration: 28d', 'duration: 7d')
      .replace('target: 0.999', 'target: 1')
      .replace('type: keel, spec: { route: smart, requests: valid }', 'type: prometheus, spec: { route: smart, requests: valid }');
    const badLatency = latency.replace('threshold_ms: 2500', 'threshold_ms: 2000');
    let error: unknown;
    try {
      parseOpenSlo(`${bad}---\n${badLatency}`, 'slos.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OpenSloError);
    const message = (error as OpenSloError).message;
    expect(message).toContain('Invalid OpenSLO in slos.yaml');
    expect(message).toMatch(/document 1 \(line 14\) spec\.indicator\.spec\.ratioMetric\.total\.metricSource\.type: expected metricSource type "keel"/);
    expect(message).toMatch(/document 1 \(line 16\) spec\.timeWindow\[0\]\.duration: expected a rolling window of "28d" or "30d"/);
    expect(message).toMatch(/document 2 \(line \d+\) spec\.indicator\.spec\.ratioMetric\.good\.metricSource\.spec\.threshold_ms: expected one of the histogram bounds: 50, 100, 250, 500, 1000, 2500/);
  });

  it('refuses a target of 100% and a wrong apiVersion, naming them', () => {
    expect(() => parseOpenSlo(availability.replace('target: 0.999', 'target: 1'))).toThrow(/spec\.objectives\[0\]\.target: expected a target below 1/);
    expect(() => parseOpenSlo(availability.replace('openslo/v1', 'openslo/v2alpha'))).toThrow(/apiVersion: expected apiVersion "openslo\/v1"/);
  });
});
