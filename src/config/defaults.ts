/**
 * Every configuration default in one place, each with its unit and the reason for its value.
 */
export const DEFAULTS = {
  server: {
    // Loopback only: an open gateway must never be reachable from elsewhere by accident.
    host: '127.0.0.1',
    port: 8787,
    // Large enough for a few base64 images in a multimodal prompt (OpenAI accepts 20 MB images), small
    // enough that a hostile body cannot exhaust memory.
    bodyLimitBytes: 10 * 1024 * 1024, // 10 MiB
    // Long LLM answers stream for tens of seconds; give in-flight requests that long to finish on SIGTERM.
    drainTimeoutMs: 30_000, // 30 s
    logLevel: 'info' as const,
    // Node's own default: room for long bearer tokens and trace headers; bigger header blocks get 431.
    maxHeaderBytes: 16 * 1024, // 16 KiB
    // A client has this long to send its headers: a slowloris client trickling bytes is cut off (408).
    headersTimeoutMs: 30_000, // 30 s
    // ...and this long to send the whole request, body included: the 10 MiB body limit at ~1.5 Mbit/s.
    // Streamed answers are not bounded by it (it covers receiving the request, not answering it).
    requestTimeoutMs: 60_000, // 60 s
    // Real bodies nest a dozen levels (tool schemas the deepest); 64 is far past them and far below the
    // depth at which code that walks a request recursively could exhaust its stack.
    maxJsonDepth: 64,
    // Far past any real conversation or tool list (OpenAI caps tools at 128), and a bound on the work a
    // single request can make Keel do translating it.
    maxMessages: 10_000,
    maxTools: 512,
    // Between two full collections V8 lets the heap grow to up to 4× what the last one left live (on a
    // machine with more than about 8 GB): a gateway with a 25 MB live heap then peaks near 190 MB RSS
    // under load. 1.5× kept it near 140 MB in the bench, for full collections about every second and a
    // half under that load (a few ms each, mostly incremental). 0 leaves V8's own heuristics.
    heapGrowthPercent: 50,
  },
  auth: {
    // Keys created or revoked by another process (`keel keys ...`) are seen within this delay; changes made
    // through this gateway's admin API apply at once.
    keyRefreshMs: 5_000, // 5 s
    // Spend is written to the store this often (and at shutdown): a crash loses at most this much of it.
    spendFlushMs: 60_000, // 1 min
  },
  deployment: {
    // Per-deployment keep-alive sockets: enough for bursts of concurrent streams without opening a socket
    // per request, bounded so one deployment cannot take every file descriptor.
    maxConnections: 256,
  },
  timeouts: {
    // TCP + TLS to a provider takes < 1 s when it is healthy; 5 s means the endpoint is unreachable.
    connectMs: 5_000, // 5 s
    // Time to the response headers / first streamed token. Large prompts on big models take several
    // seconds to start; 30 s is past any healthy TTFT and short enough to leave time for a fallback.
    ttftMs: 30_000, // 30 s
    // Providers send tokens or keep-alive pings every few seconds; 30 s of silence mid-stream is a stall.
    idleMs: 30_000, // 30 s
    // One deadline for the whole request, every retry and failover included (long answers need minutes).
    totalMs: 300_000, // 5 min
  },
  simulator: {
    // Paced like a fast real model (~50 tokens/s) so a newcomer watching a stream sees it stream.
    tokenDelayMs: 20,
  },
} as const;
