/**
 * Every default of the resilience policies, in one block. A policy resolves its options against this
 * object and nowhere else, so a reviewer can read here what Keel does when the config says nothing.
 * Each value carries its unit in its name and says where it comes from.
 */
export const RESILIENCE_DEFAULTS = {
  backoff: {
    // The OpenAI and Anthropic SDKs start at 0.5 s: the providers' own advice for a first retry.
    baseMs: 500,
    // The same SDKs cap a wait at 8 s; past that, failing over to another deployment answers sooner.
    capMs: 8_000,
  },
  retryAfter: {
    // Waiting out a longer Retry-After on one deployment loses to failing over to another one now.
    maxWaitMs: 10_000, // 10 s
  },
  retry: {
    // keel.yaml's `max_attempts_per_deployment` default: one retry for a blip, then move on.
    maxAttemptsPerDeployment: 2,
  },
  retryBudget: {
    // Envoy's retry budget `budget_percent` and Finagle's RetryBudget both default to 20%:
    // an outage costs at most 1.2 upstream calls per request instead of a multiple.
    ratio: 0.2,
    // Finagle's RetryBudget default TTL is 10 s: long enough to smooth bursts, short enough to recover.
    windowMs: 10_000,
    // Envoy's `min_retry_concurrency` is 3. LLM traffic per deployment is low (a few requests a second),
    // so a floor of 3 retries per window lets a quiet deployment retry a blip without letting an
    // outage multiply load (Finagle's 10 per second would be 100 per window: far too many for us).
    minRetriesPerWindow: 3,
    // One-second buckets: the window slides in 10% steps; finer costs memory for no decision change.
    bucketMs: 1_000,
  },
  adaptiveThrottle: {
    // Google SRE book, "Handling Overload": K = 2 tolerates a backend rejecting half of what it is sent
    // before the client starts rejecting locally.
    k: 2,
    // The SRE book uses "the last two minutes of history" so the throttle reacts within minutes.
    windowMs: 2 * 60 * 1000, // 2 min
    bucketMs: 1_000,
  },
  circuitBreaker: {
    // Envoy outlier detection's `consecutive_5xx` default.
    consecutiveFailuresToOpen: 5,
    // resilience4j's and Hystrix's `failureRateThreshold` / `errorThresholdPercentage` default.
    failureRateThreshold: 0.5,
    // Hystrix rolls 10 s; LLM calls are slow and sparse, so 30 s holds enough of them to judge a rate.
    failureRateWindowMs: 30_000,
    // Hystrix asks 20 calls in its window, resilience4j 100; at LLM volumes 10 in 30 s is what a
    // deployment actually sees, and still keeps two unlucky calls from reading as a 100% failure rate.
    minimumRequestsInWindow: 10,
    bucketMs: 1_000,
    // Envoy outlier detection's `base_ejection_time` (30 s) and `max_ejection_time` (300 s).
    openDurationBaseMs: 30_000,
    openDurationMaxMs: 300_000,
    // ±10% so breakers of many deployments (or many Keel instances) do not probe in lockstep.
    openDurationJitterRatio: 0.1,
    // resilience4j lets several half-open calls through; one probe costs the least during an outage.
    halfOpenMaxProbes: 1,
    // A probe whose result never came back (a router bug, a crashed instance sharing state) must not
    // wedge the breaker half-open forever; 2 min is longer than any sane total request timeout.
    halfOpenProbeTimeoutMs: 120_000,
  },
  adaptiveLimit: {
    // Concurrent calls to one deployment before anything is known: generous, because LLM calls (streams
    // above all) are long and mostly waiting; the limit adapts within a few dozen calls.
    initialLimit: 256,
    // Never below one call: a deployment must stay reachable to show it recovered.
    minLimit: 1,
    maxLimit: 1_000,
    // Netflix concurrency-limits' AIMD default backoff ratio.
    backoffRatio: 0.9,
    // A first token 3x slower than the deployment's norm means its queue is building up...
    latencyTolerance: 3,
    // ...if it is also 250 ms slower: below that, the difference is our own event loop, not the provider.
    minSlowDeltaMs: 250,
  },
  admission: {
    // Whole-gateway concurrency: bounds memory (each in-flight request holds a body and a stream);
    // thousands of open streams fit in a few hundred MB.
    maxConcurrent: 5_000,
    // A short queue: waiting long for a slot only moves the failure later.
    maxQueue: 1_000,
    // Queued requests wait at most this long (and never past their own deadline).
    maxWaitMs: 5_000,
  },
  hedge: {
    // A route hedges unless told not to: an attempt that is overdue against its deployment's own norm
    // (learnedTimeouts) gets a second attempt on the next deployment, charged to the retry budget. This is
    // what turns a silent provider into a one-second detour instead of a 30-second wait; the budget keeps
    // it from ever doubling the load.
    enabled: true,
  },
  learnedTimeouts: {
    // A p99 needs a couple of dozen calls before it says anything about a tail.
    minSamples: 20,
    // The newest 200 successes per deployment and answer mode: minutes of traffic on a busy route.
    maxSamples: 200,
    // Samples older than 10 min are forgotten: after a long quiet spell the configured timeouts rule
    // again, rather than a norm from a different time of day (or a different provider regime).
    sampleTtlMs: 600_000, // 10 min
    // Overdue at max(2 × p99, p99 + 1 s): twice the slowest normal call, and never within a second of it,
    // so jitter on a fast deployment is not called a fault. Past that, the call is almost surely stuck.
    overdueFactor: 2,
    overdueMinExcessMs: 1_000,
    // Cut at max(5 × p99, p99 + 4 s): an overdue call keeps its chance to answer while a hedge runs; the
    // cut only stops waiting for one that will not (a single-deployment route has nowhere else to go, so
    // the cut is deliberately generous).
    cutFactor: 5,
    cutMinExcessMs: 4_000,
    // A stream silent for max(4 × the p99 of its longest normal gap, that + 1 s) has stalled: the p99 of
    // each stream's *longest* silence is already the tail of the tail, so a second past it is not jitter.
    idleFactor: 4,
    idleMinExcessMs: 1_000,
  },
  recoveryProbe: {
    // On: a cheap probe every few seconds is what brings traffic back soon after an outage ends.
    enabled: true,
    // While a breaker is open, probe the deployment with the smallest request it accepts this often, so
    // traffic is back within seconds of a recovery however long the outage lasted (the breaker's own
    // open period doubles to minutes). ±20% jitter keeps many deployments from probing in lockstep.
    intervalMs: 2_000, // 2 s
    jitterRatio: 0.2,
    // After 5 minutes open, every 5 s: still back within 10 s of a recovery, at 40% of the cost.
    slowIntervalMs: 5_000, // 5 s
    slowAfterMs: 300_000, // 5 min
    // Probes per deployment per UTC day. A probe is ~10 input tokens and 1 output token: 5,000 of them is
    // ~55k tokens, under $1 a day at $15 per million; past the cap the breaker's own half-open calls remain.
    maxPerDay: 5_000,
    // A probe that has not answered in this long failed: the deployment is still not answering.
    timeoutMs: 5_000, // 5 s
  },
} as const;
