/**
 * The shape of a drill scenario file, as zod schemas. A scenario names a Keel config (merged over the
 * drill's default, so it only says what differs), a load, and a timeline of phases whose actions break
 * and mend the simulated providers. Times in the timeline are scenario time (`at: 1h30m`); the drill
 * divides them by the time scale. Request-level times (Keel's timeouts and breaker durations, fault
 * latencies, Retry-After) are wall-clock time and are never scaled: a scenario that compresses hours into
 * minutes must configure Keel with compressed breaker windows itself, and says so in its comments.
 */
import { z } from 'zod';
import { FaultSpecError, parseFaultSpec } from '../simulator/faults.js';
import { VENDOR_PAGE_IMPACTS, VENDOR_STATUSES } from '../simulator/vendor-status-page.js';
import { parseDurationMs } from './duration.js';

const positiveInt = z.number().int().positive();
const share = z.number().min(0).max(1);

/** A duration written `2h30m`, `90s`, `500ms` or as a number of seconds, read as milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 2h30m, 90s or 500ms, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

/** A fault for one simulated model (or '*'): the simulator's own fault spec, plus the model it hits. */
const setFault = z.looseObject({ model: z.string().min(1), type: z.string() }).superRefine((value, ctx) => {
  const { model: _model, ...fault } = value;
  try {
    parseFaultSpec(fault);
  } catch (err) {
    if (!(err instanceof FaultSpecError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message.replace(/^fault\./, 'field ') });
  }
});

export const ACTION_KINDS = ['set_fault', 'clear_fault', 'stop_listening', 'resume_listening', 'set_latency'] as const;

/**
 * One action, written as an object with exactly one key:
 * - `set_fault: { model, type, ...fault fields, rate? }` installs a simulator fault on a model ('*': all);
 * - `clear_fault: <model>` removes it ('*' removes every fault);
 * - `stop_listening: <deployment id>` closes that deployment's endpoint: new connections are refused and
 *   open ones are cut ('*': every endpoint); `resume_listening` opens it again;
 * - `set_latency: { deployment, ms }` delays every byte sent to that endpoint by `ms` (0 clears it).
 */
export const actionSchema = z
  .strictObject({
    set_fault: setFault.optional(),
    clear_fault: z.string().min(1).optional(),
    stop_listening: z.string().min(1).optional(),
    resume_listening: z.string().min(1).optional(),
    set_latency: z.strictObject({ deployment: z.string().min(1), ms: z.number().int().nonnegative() }).optional(),
  })
  .superRefine((action, ctx) => {
    const keys = Object.keys(action);
    if (keys.length !== 1) ctx.addIssue({ code: 'custom', message: `expected exactly one of ${ACTION_KINDS.join(', ')} per action, got ${keys.length === 0 ? 'none' : keys.join(' and ')}` });
  });

export const phaseSchema = z.strictObject({
  /** Scenario time from the start of the drill. */
  at: duration,
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._:\-]{0,63}$/, 'expected a short phase name of letters, digits, spaces, ".", "_", ":" or "-"'),
  description: z.string().optional(),
  actions: z.array(actionSchema).default([]),
});

export const loadSchema = z.strictObject({
  /** Client requests started per wall-clock second, whatever the time scale (open loop). */
  rate_per_s: z.number().positive().max(1_000),
  /** Share of requests that ask for a stream. */
  stream_share: share.default(0.5),
  /** Relative weights of the client formats. */
  clients: z.strictObject({ openai: z.number().nonnegative().default(1), anthropic: z.number().nonnegative().default(1) }).prefault({}),
  /** The route clients ask for; default the first route of the Keel config. */
  route: z.string().min(1).optional(),
  /** Prompts drawn at random; a few repeat, so a degraded-answer cache has something to serve. */
  prompts: z.array(z.string().min(1)).min(1).default(['Summarise the incident in one line.', 'What is the capital of France?', 'Write a haiku about failover.', 'Name three prime numbers.']),
  /** Share of requests whose prompt is new (made unique), so no cache has ever seen it. */
  unique_prompt_share: share.default(0),
  max_tokens: positiveInt.max(4_096).default(32),
  /** Requests in flight at most; an arrival beyond it is counted as not sent, never as lost. */
  max_in_flight: positiveInt.max(10_000).default(500),
  /** A request with no complete answer after this long is lost (wall-clock ms). */
  client_timeout_ms: positiveInt.default(30_000),
  /** Requests per wall-clock second sent straight to the primary, bypassing Keel (0: none). */
  direct_probe_rate_per_s: z.number().nonnegative().max(100).default(2),
  /** A direct probe with no complete answer after this long counts as failed (wall-clock ms). */
  direct_probe_timeout_ms: positiveInt.default(5_000),
});

export const expectSchema = z.strictObject({
  /** Lowest acceptable availability through Keel over the whole drill (succeeded / sent). */
  min_availability: share.optional(),
  /** Lost requests tolerated: 0, because every request must end as an answer or a clean error. */
  max_lost: z.number().int().nonnegative().default(0),
  /** Highest acceptable p99 latency (wall-clock ms) in every phase: what a gray failure may cost a client. */
  max_p99_latency_ms: positiveInt.optional(),
  /** Highest acceptable mean of upstream attempts per client request over the drill (retry amplification). */
  max_attempts_per_request: z.number().min(1).optional(),
  /**
   * Longest acceptable time (wall-clock ms) from the primary failing every request (not a share of them)
   * to its breaker being open, for each fault on the primary that came to hit every request.
   */
  max_time_to_detect_ms: positiveInt.optional(),
  /** Longest acceptable time (wall-clock ms) from a fault on the primary ending to traffic back on it. */
  max_time_to_recover_ms: positiveInt.optional(),
});

/**
 * The provider's own voice, for drills: a simulated status page (Statuspage v2) that Keel reads through
 * `status_sources`, posting its updates on the drill's timeline. Each update comes `delay` (scenario time,
 * scaled like the timeline) after the start of the phase it follows, as a vendor's page lags what its
 * users see. The report then shows Keel's lead over the vendor.
 */
export const vendorStatusSchema = z.strictObject({
  /** The page's name. */
  name: z.string().min(1).default('Simulated provider status'),
  /** The vendor's component name that the incidents affect. */
  component: z.string().min(1).default('API'),
  /** The Keel deployments that component stands for; default the primary. */
  deployments: z.array(z.string().min(1)).min(1).optional(),
  updates: z
    .array(
      z.strictObject({
        /** The phase this update follows. */
        after: z.string().min(1),
        delay: duration.default(0),
        status: z.enum(VENDOR_STATUSES),
        message: z.string().min(1).optional(),
        impact: z.enum(VENDOR_PAGE_IMPACTS).optional(),
      }),
    )
    .min(1),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a lower-case name of letters, digits and "-"'),
    description: z.string().default(''),
    /** Scenario (real-world) time the timeline covers. */
    duration,
    /** Scenario time per wall-clock time: 60 replays an hour in a minute (`--time-scale` overrides). */
    time_scale: z.number().positive().max(100_000).default(1),
    /** Seeds the load's random choices and the simulator's fault hits. */
    seed: z.number().int().default(1),
    /** The deployment clients would otherwise call directly; default the route's first deployment. */
    primary: z.string().min(1).optional(),
    load: loadSchema,
    /** A Keel config (keel.yaml's shape) merged over the drill default; deployments use `simulated: true`. */
    keel: z.record(z.string(), z.unknown()),
    timeline: z.array(phaseSchema).min(1),
    vendor_status: vendorStatusSchema.optional(),
    expect: expectSchema.prefault({}),
  })
  .superRefine((scenario, ctx) => {
    const first = scenario.timeline[0];
    if (first !== undefined && first.at !== 0) ctx.addIssue({ code: 'custom', path: ['timeline', 0, 'at'], message: 'expected the first phase to start at 0' });
    const names = new Set<string>();
    scenario.timeline.forEach((phase, i) => {
      const previous = scenario.timeline[i - 1];
      if (previous !== undefined && phase.at <= previous.at) ctx.addIssue({ code: 'custom', path: ['timeline', i, 'at'], message: 'expected phases in order of time, each later than the one before' });
      if (phase.at >= scenario.duration) ctx.addIssue({ code: 'custom', path: ['timeline', i, 'at'], message: 'expected the phase to start before the end of the scenario (duration)' });
      if (names.has(phase.name)) ctx.addIssue({ code: 'custom', path: ['timeline', i, 'name'], message: `expected a unique phase name: "${phase.name}" is used twice` });
      names.add(phase.name);
    });
    scenario.vendor_status?.updates.forEach((u, i) => {
      const phase = scenario.timeline.find((p) => p.name === u.after);
      if (phase === undefined) ctx.addIssue({ code: 'custom', path: ['vendor_status', 'updates', i, 'after'], message: `expected the name of a phase (${scenario.timeline.map((p) => p.name).join(', ')}), got "${u.after}"` });
      else if (phase.at + u.delay >= scenario.duration) ctx.addIssue({ code: 'custom', path: ['vendor_status', 'updates', i, 'delay'], message: 'expected the update to come before the end of the scenario (duration)' });
    });
    const { openai, anthropic } = scenario.load.clients;
    if (openai + anthropic <= 0) ctx.addIssue({ code: 'custom', path: ['load', 'clients'], message: 'expected at least one client format with a positive weight' });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioPhase = z.output<typeof phaseSchema>;
export type ScenarioAction = z.output<typeof actionSchema>;
export type ScenarioLoad = z.output<typeof loadSchema>;
export type ScenarioVendorStatus = z.output<typeof vendorStatusSchema>;
