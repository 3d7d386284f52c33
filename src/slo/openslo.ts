/**
 * SLO definitions in and out as OpenSLO (`apiVersion: openslo/v1`, `kind: SLO`) YAML, one document per
 * SLO. The indicator is a `ratioMetric` whose good and total come from Keel's own rollups
 * (`metricSource.type: keel`): `answered` / `valid` requests for availability, `faster_than` / `all` for
 * latency. Every problem in a file is reported at once, with the document, line and path (the target and
 * histogram-bound checks run once a document has the OpenSLO shape).
 */
import { LineCounter, parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { sloDefinitionSchema, type SloDefinition } from './slo-definition.js';
import { formatPath, lineOf } from './yaml-issues.js';

export class OpenSloError extends Error {
  override readonly name = 'OpenSloError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`Invalid OpenSLO in ${source}:\n${issues.map((i) => `  ${i}`).join('\n')}`);
  }
}

const metricSource = z.strictObject({
  metricSource: z.strictObject({
    type: z.string().refine((t) => t.toLowerCase() === 'keel', 'expected metricSource type "keel": Keel computes SLOs from its own rollups'),
    spec: z.strictObject({
      route: z.string().min(1),
      requests: z.enum(['answered', 'valid', 'faster_than', 'all']),
      threshold_ms: z.number().positive().optional(),
    }),
  }),
});

const openSloSchema = z.strictObject({
  apiVersion: z.literal('openslo/v1', { error: 'expected apiVersion "openslo/v1"' }),
  kind: z.literal('SLO', { error: 'expected kind "SLO" (SLI, Service and other kinds are not imported)' }),
  metadata: z.looseObject({ name: z.string().min(1), displayName: z.string().optional() }),
  spec: z.strictObject({
    description: z.string().optional(),
    service: z.string().min(1),
    indicator: z.strictObject({
      metadata: z.looseObject({ name: z.string().optional() }).optional(),
      spec: z.strictObject({ ratioMetric: z.strictObject({ counter: z.boolean().optional(), good: metricSource, total: metricSource }) }),
    }),
    timeWindow: z
      .array(
        z.strictObject({
          duration: z.enum(['28d', '30d'], { error: 'expected a rolling window of "28d" or "30d"' }),
          isRolling: z.literal(true, { error: 'expected isRolling: true (calendar windows are not supported)' }),
        }),
      )
      .length(1, 'expected exactly one timeWindow'),
    budgetingMethod: z.literal('Occurrences', { error: 'expected budgetingMethod "Occurrences" (request-based SLOs)' }).optional(),
    objectives: z
      .array(
        z
          .strictObject({
            displayName: z.string().optional(),
            target: z.number().optional(),
            targetPercent: z.number().optional(),
          })
          .refine((o) => (o.target === undefined) !== (o.targetPercent === undefined), 'expected either target (0–1) or targetPercent (0–100)'),
      )
      .length(1, 'expected exactly one objective'),
    alertPolicies: z.array(z.unknown()).optional(),
  }),
});

type OpenSlo = z.output<typeof openSloSchema>;

/** Parses one or more OpenSLO documents into Keel SLO definitions; throws an `OpenSloError` listing every problem. */
export function parseOpenSlo(text: string, source = 'OpenSLO input'): SloDefinition[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const issues: string[] = [];
  const slos: SloDefinition[] = [];
  docs.forEach((doc, index) => {
    const where = (path: readonly PropertyKey[]): string => {
      const line = lineOf(doc, path, lineCounter);
      return `document ${index + 1}${line === undefined ? '' : ` (line ${line})`} ${formatPath(path) || '(root)'}`;
    };
    for (const e of doc.errors) issues.push(`document ${index + 1}: ${e.message}`);
    if (doc.errors.length > 0) return;
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) return; // an empty document between separators
    const parsed = openSloSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(`${where(issue.path)}: ${issue.message}`);
      return;
    }
    const mapped = toDefinition(parsed.data);
    if (typeof mapped === 'string') {
      issues.push(`${where(['spec', 'indicator', 'spec', 'ratioMetric'])}: ${mapped}`);
      return;
    }
    const checked = sloDefinitionSchema.safeParse(mapped);
    if (!checked.success) {
      for (const issue of checked.error.issues) issues.push(`${where(openSloPathOf(issue.path))}: ${issue.message}`);
      return;
    }
    if (slos.some((s) => s.name === checked.data.name)) issues.push(`${where(['metadata', 'name'])}: expected a unique name: "${checked.data.name}" is used twice`);
    slos.push(checked.data as SloDefinition);
  });
  if (issues.length > 0) throw new OpenSloError(source, issues);
  return slos;
}

function toDefinition(doc: OpenSlo): Omit<SloDefinition, 'sli'> & { sli: unknown } | string {
  const { good, total } = doc.spec.indicator.spec.ratioMetric;
  const g = good.metricSource.spec;
  const t = total.metricSource.spec;
  if (g.route !== t.route) return `expected good and total of the same route, got "${g.route}" and "${t.route}"`;
  let sli: unknown;
  if (g.requests === 'answered' && t.requests === 'valid') sli = { kind: 'availability' };
  else if (g.requests === 'faster_than' && t.requests === 'all') {
    if (g.threshold_ms === undefined) return 'expected good.metricSource.spec.threshold_ms for faster_than requests';
    sli = { kind: 'latency', thresholdMs: g.threshold_ms };
  } else return `expected good/total requests of answered/valid (availability) or faster_than/all (latency), got ${g.requests}/${t.requests}`;
  const objective = doc.spec.objectives[0]!;
  return {
    name: doc.metadata.name,
    ...(doc.metadata.displayName === undefined ? {} : { displayName: doc.metadata.displayName }),
    ...(doc.spec.description === undefined ? {} : { description: doc.spec.description }),
    route: g.route,
    sli,
    target: objective.target ?? objective.targetPercent! / 100,
    windowDays: doc.spec.timeWindow[0]!.duration === '28d' ? 28 : 30,
  };
}

/** Where a problem found in the mapped definition sits in the OpenSLO document. */
function openSloPathOf(path: readonly PropertyKey[]): PropertyKey[] {
  const metric = ['spec', 'indicator', 'spec', 'ratioMetric', 'good', 'metricSource', 'spec'];
  switch (path[0]) {
    case 'name':
      return ['metadata', 'name'];
    case 'route':
      return [...metric, 'route'];
    case 'sli':
      return [...metric, 'threshold_ms'];
    case 'target':
      return ['spec', 'objectives', 0, 'target'];
    default:
      return [...path];
  }
}

/** Keel SLO definitions as OpenSLO YAML (one document each), importable again by `parseOpenSlo`. */
export function toOpenSlo(slos: readonly SloDefinition[], service = 'keel'): string {
  return slos
    .map((slo) => {
      const good = slo.sli.kind === 'availability' ? { route: slo.route, requests: 'answered' } : { route: slo.route, requests: 'faster_than', threshold_ms: slo.sli.thresholdMs };
      const total = { route: slo.route, requests: slo.sli.kind === 'availability' ? 'valid' : 'all' };
      const doc = {
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: { name: slo.name, ...(slo.displayName === undefined ? {} : { displayName: slo.displayName }) },
        spec: {
          ...(slo.description === undefined ? {} : { description: slo.description }),
          service,
          indicator: {
            metadata: { name: `${slo.name}-sli` },
            spec: { ratioMetric: { counter: true, good: { metricSource: { type: 'keel', spec: good } }, total: { metricSource: { type: 'keel', spec: total } } } },
          },
          timeWindow: [{ duration: `${slo.windowDays}d`, isRolling: true }],
          budgetingMethod: 'Occurrences',
          objectives: [{ displayName: slo.sli.kind === 'availability' ? 'answered' : `under ${slo.sli.thresholdMs} ms`, target: slo.target }],
        },
      };
      return stringify(doc);
    })
    .join('---\n');
}
