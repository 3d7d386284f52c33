/**
 * `status_sources` from the config turned into a running-ready `VendorStatusPoller` (or nothing when the
 * feature is off): the one place the config's snake_case settings meet the poller's options, so the
 * server wiring stays a line and tests can build the same poller the server runs.
 */
import type { StatusSourcesConfig } from '../../config/status-sources-schema.js';
import { defined } from '../../core/defined.js';
import { resolveStatusSources } from './vendor-source-defaults.js';
import { VendorStatusPoller, type VendorStatusPollerOptions } from './vendor-status-poller.js';

export function createVendorStatusPoller(
  config: StatusSourcesConfig,
  deployments: Iterable<{ id: string; provider: string }>,
  wiring: Pick<VendorStatusPollerOptions, 'store' | 'clock' | 'onProblem' | 'onRecovered' | 'onOutagesChanged' | 'onError' | 'fetchDocument'>,
): VendorStatusPoller | undefined {
  if (!config.enabled) return undefined;
  return new VendorStatusPoller({
    ...wiring,
    sources: resolveStatusSources(config, [...deployments]),
    ...defined({ pollIntervalMs: config.poll_interval_ms, timeoutMs: config.timeout_ms, maxBodyBytes: config.max_body_bytes, maxBackoffMs: config.max_backoff_ms }),
  });
}
