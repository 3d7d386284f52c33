/**
 * Finds and validates a scenario: a built-in name (`claude-outage` → `scenarios/claude-outage.yaml`,
 * shipped with the package) or a YAML file path. Every problem is reported at once, each naming the
 * file, line and key path, as Keel's own config errors do; the embedded Keel config is validated by
 * Keel's schema after it is merged over the drill default, so its errors read the same as keel.yaml's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, isMap, isNode, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath, parseConfig } from '../config/load-config.js';
import type { KeelConfig } from '../config/schema.js';
import { BUILT_IN_DIR, builtInScenarioNames } from './built-in-scenarios.js';
import { scenarioSchema, type Scenario } from './scenario-schema.js';


export interface ScenarioIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly issues: ScenarioIssue[],
  ) {
    super(
      `Invalid scenario in ${file}:\n` +
        issues.map((i) => `  ${file}${i.line === undefined ? '' : `:${i.line}:${i.column ?? 1}`} ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
  }
}

export interface LoadedScenario {
  /** Where it came from: a file path, or the name given to an inline document. */
  file: string;
  scenario: Scenario;
  /** The Keel config the drill starts: the scenario's, merged over the drill default, validated. */
  keelConfig: Record<string, unknown>;
  /** Validated form of `keelConfig`, for cross-references (deployments, routes, prices). */
  keel: KeelConfig;
  /** The route clients ask for. */
  route: string;
  /** The deployment id direct probes call and whose breaker "time to detect" is about. */
  primary: string;
}

type Locate = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

/** A scenario by built-in name or path. */
export function loadScenario(nameOrPath: string): LoadedScenario {
  const looksLikePath = /\.ya?ml$/i.test(nameOrPath) || nameOrPath.includes('/');
  const file = looksLikePath ? resolve(nameOrPath) : resolve(BUILT_IN_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    const known = builtInScenarioNames();
    throw new ScenarioError(nameOrPath, [{ path: '', message: looksLikePath ? 'no such file' : `no built-in scenario of that name; built-in: ${known.join(', ')} (or give a path to a .yaml file)` }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(file, doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
    }));
  }
  return parseScenario(doc.toJS(), file, locator(doc, lineCounter));
}

/** Validates an already-parsed scenario document (a YAML file's, or one built in code by a test). */
export function parseScenario(raw: unknown, file: string, locate?: Locate): LoadedScenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw new ScenarioError(file, result.error.issues.map((issue) => describe(issue, locate)));
  const scenario = result.data;
  const keelConfig = mergeConfig(defaultKeelConfig(scenario), scenario.keel);
  let keel: KeelConfig;
  try {
    keel = parseConfig(keelConfig, file, {}, (path) => locate?.(['keel', ...path]));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ScenarioError(file, err.issues.map((i) => ({ ...i, path: i.path === '' ? 'keel' : `keel.${i.path}` })));
  }
  const issues: ScenarioIssue[] = [];
  const issue = (path: PropertyKey[], message: string): void => void issues.push({ path: formatPath(path), message, ...locate?.(path) });
  keel.deployments.forEach((d, i) => {
    if (!d.simulated) issue(['keel', 'deployments', i, 'simulated'], 'expected simulated: true (a drill runs against the simulator only, never a real provider)');
  });
  const deploymentIds = new Set(keel.deployments.map((d) => d.id));
  const models = new Set(keel.deployments.map((d) => d.model));
  const routes = Object.keys(keel.routes);
  const route = scenario.load.route ?? routes[0];
  if (route === undefined) issue(['keel', 'routes'], 'expected at least one route for the load to ask for');
  else if (!routes.includes(route)) issue(['load', 'route'], `expected one of the routes: ${routes.join(', ')}`);
  const firstTarget = route === undefined ? undefined : keel.routes[route]?.deployments[0];
  const primary = scenario.primary ?? (typeof firstTarget === 'string' ? firstTarget : firstTarget?.id) ?? '';
  if (!deploymentIds.has(primary)) issue(['primary'], `expected a deployment id (one of: ${[...deploymentIds].join(', ')})`);
  scenario.timeline.forEach((phase, p) =>
    phase.actions.forEach((action, a) => {
      const at = ['timeline', p, 'actions', a];
      const model = action.set_fault?.model ?? action.clear_fault;
      if (model !== undefined && model !== '*' && !models.has(model)) issue([...at, action.set_fault ? 'set_fault' : 'clear_fault'], `expected a simulated model (one of: ${[...models].join(', ')}) or "*"`);
      const endpoint = action.stop_listening ?? action.resume_listening ?? action.set_latency?.deployment;
      if (endpoint !== undefined && endpoint !== '*' && !deploymentIds.has(endpoint)) issue([...at, Object.keys(action)[0]!], `expected a deployment id (one of: ${[...deploymentIds].join(', ')})${action.set_latency ? '' : ' or "*"'}`);
    }),
  );
  scenario.vendor_status?.deployments?.forEach((d, i) => {
    if (!deploymentIds.has(d)) issue(['vendor_status', 'deployments', i], `expected a deployment id (one of: ${[...deploymentIds].join(', ')})`);
  });
  if (issues.length > 0) throw new ScenarioError(file, issues);
  return { file, scenario, keelConfig, keel, route: route!, primary };
}

/** Quiet logs, a short drain at the end, and the embedded simulator seeded by the scenario so fault hits replay identically. */
function defaultKeelConfig(scenario: Scenario): Record<string, unknown> {
  return { server: { log_level: 'silent', drain_timeout_ms: 2_000 }, simulator: { seed: scenario.seed, token_delay_ms: 5 } };
}

/** Objects merge key by key; arrays and scalars from `over` replace those of `base`. */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(issue: z.core.$ZodIssue, locate: Locate | undefined): ScenarioIssue {
  const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message.replace(/^Invalid input: /, '');
  const path = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]!] : issue.path;
  return { path: formatPath(path), message, ...locate?.(path) };
}

/** Line and column of the key (or the nearest enclosing node) a path points at. */
function locator(doc: Document, lineCounter: LineCounter): Locate {
  return (path) => {
    const segments = path.map((s) => (typeof s === 'symbol' ? String(s) : s));
    const parent = doc.getIn(segments.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === segments.at(-1));
      if (pair !== undefined && isNode(pair.key) && pair.key.range) {
        const pos = lineCounter.linePos(pair.key.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    for (let depth = segments.length; depth >= 0; depth--) {
      const node = doc.getIn(segments.slice(0, depth), true);
      if (isNode(node) && node.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
}
