/**
 * What one read of a vendor's status page says, whatever its format: the incidents it lists (the vendor's
 * ids, words and declared times) and the state of its components. Every parser produces this, and the
 * poller alone turns it into stored `VendorIncident`s (adding the mapping to deployments and when Keel
 * saw each one), so the formats differ only in their own small parser.
 */
import type { ComponentStatus, VendorImpact, VendorIncidentUpdate } from '../../store/store.js';

export interface ParsedVendorIncident {
  id: string;
  title: string;
  status: string;
  impact: VendorImpact;
  components: string[];
  startedAt: number;
  resolvedAt?: number;
  url?: string;
  updates: VendorIncidentUpdate[];
}

export interface VendorSnapshot {
  incidents: ParsedVendorIncident[];
  /** Components the page reports a state for (Statuspage's summary); others are derived from incidents. */
  components: { name: string; status: ComponentStatus }[];
}

/** Why a page could not be read: stable codes for logs and tests. */
export class VendorStatusError extends Error {
  override readonly name = 'VendorStatusError';
  constructor(
    readonly code: 'timeout' | 'http_status' | 'too_large' | 'malformed' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Epoch ms of an ISO or RFC 822 date; undefined when absent or unreadable. */
export function epochMs(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** JSON text parsed, or a `malformed` error naming the page. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new VendorStatusError('malformed', `${what} is not JSON`, { cause: err });
  }
}
