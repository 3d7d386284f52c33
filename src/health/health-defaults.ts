/**
 * Every default of the health box in one place, with its unit and why: passive health windows, the
 * incident detector's timings and the active probes. The lead's config maps onto these names.
 */

export const HEALTH_DEFAULTS = {
  // Ten-second buckets: fine enough that a one-minute window moves smoothly, coarse enough that five
  // minutes of history is 30 small records per deployment.
  bucketMs: 10_000, // 10 s
  // The short window judges "now" (an outage shows within seconds); the long one gives the thin-traffic
  // fallback and the evidence for an incident's first update.
  shortWindowMs: 60_000, // 1 min
  longWindowMs: 300_000, // 5 min
  // Below this many attempts a window's error rate is noise (1 failure in 3 calls is not a 33% outage).
  minAttemptsShort: 5,
  minAttemptsLong: 10,
  // Error rate = provider faults / attempts. 5% is where a user starts to notice retries and slowness;
  // 25% is a quarter of calls failing (Statuspage's "partial outage"); 75% means it mostly does not work.
  degradedErrorRate: 0.05,
  partialOutageErrorRate: 0.25,
  majorOutageErrorRate: 0.75,
  // Latency is degraded when the short window's p95 time to first token is this many times the learned
  // baseline p95 *and* at least `latencyMinExcessMs` above it: doubling 80 ms is not worth a yellow dot.
  latencyDegradedFactor: 2,
  latencyMinExcessMs: 500,
  // The baseline is an exponentially weighted mean of the long window's p95 TTFT. Six hours is slow enough
  // that an hour-long slowdown shows as degraded the whole time, yet a permanent change is accepted in a day.
  baselineTimeConstantMs: 6 * 3_600_000, // 6 h
  // A baseline needs a few judged windows before it is trusted (the first minutes after start are noisy).
  baselineMinSamples: 3,
} as const;

export const DETECTOR_DEFAULTS = {
  // How often health is evaluated: a tenth of the sustain period, so an incident opens within ~10 s of
  // the condition being sustained.
  evaluateEveryMs: 10_000, // 10 s
  // Bad (partial/major outage or breaker open) for a full minute before an incident opens: long enough to
  // ride out a blip that retries and failover already hid, short enough that the page is not late.
  openAfterMs: 60_000, // 1 min
  // Evidence gathered for this long after opening before a cause is named, so it is not a guess.
  identifyAfterMs: 60_000, // 1 min
  // The cause named when one outcome class is at least this share of the faults.
  identifyMinShare: 0.5,
  identifyMinFaults: 5,
  // Healthy (successes, breaker closed, under 25% faults) for a minute: "a fix is in, we are watching".
  monitorAfterMs: 60_000, // 1 min
  // Healthy for five minutes: long enough that one good breaker probe between failures does not resolve it.
  resolveAfterMs: 300_000, // 5 min
  // Bad again for this long while monitoring: back to investigating (one blip does not reopen).
  reopenAfterMs: 60_000, // 1 min
  // A still-failing incident gets a fresh update (new counts) this often, as status pages are expected to.
  stillFailingUpdateEveryMs: 30 * 60_000, // 30 min
  // Evidence: a few redacted examples are enough to show what a failure looked like.
  maxExamples: 3,
  maxExampleChars: 300,
} as const;

export const PROBE_DEFAULTS = {
  // Probes are off unless configured: they cost money and send traffic nobody asked for.
  enabled: false,
  // One probe a minute per deployment that needs one: matches the detector's sustain period, so a
  // deployment with no traffic is still judged within an incident's timescale.
  intervalMs: 60_000, // 1 min
  // How often the scheduler looks for deployments that need a probe.
  checkEveryMs: 10_000, // 10 s
  // A probe that takes longer than this is a failure anyway; it must not pile up behind a hung provider.
  timeoutMs: 20_000, // 20 s
  // USD per deployment per UTC day: a minute-interval probe of a cheap model costs well under a cent a
  // day, so the cap only bites on an expensive model or a misconfiguration.
  dailyCostCapUsd: 0.05,
  // The probe prompt is a handful of tokens; used to estimate the cost before the answer says.
  estimatedInputTokens: 16,
  maxTokens: 1,
} as const;
