/**
 * One conditional GET of a vendor status document: `If-None-Match` / `If-Modified-Since` from the last
 * answer (a page that did not change costs the vendor a 304 and Keel nothing), a timeout, and a cap on the
 * body read as it streams (a huge or endless body is cut off, never buffered whole). Every failure becomes
 * a `VendorStatusError` with a stable code, so the poller decides once how to back off and what to log.
 */
import { VendorStatusError } from './vendor-snapshot.js';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type FetchedDocument = { changed: false } | { changed: true; text: string; validators: Validators };

export interface FetchLimits {
  timeoutMs: number;
  maxBodyBytes: number;
}

export async function fetchStatusDocument(url: string, validators: Validators, limits: FetchLimits, signal?: AbortSignal): Promise<FetchedDocument> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
  const headers: Record<string, string> = { accept: 'application/json, application/rss+xml, application/atom+xml, */*;q=0.5', 'user-agent': 'keel-status-reader' };
  if (validators.etag !== undefined) headers['if-none-match'] = validators.etag;
  if (validators.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
  try {
    const response = await fetch(url, { headers, signal: combined, redirect: 'follow' });
    if (response.status === 304) {
      await response.body?.cancel();
      return { changed: false };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new VendorStatusError('http_status', `answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > limits.maxBodyBytes) {
      await response.body?.cancel();
      throw new VendorStatusError('too_large', `declared a body of ${declared} bytes, over the cap of ${limits.maxBodyBytes}`);
    }
    const text = await readCapped(response, limits.maxBodyBytes);
    const next: Validators = {};
    const etag = response.headers.get('etag');
    const lastModified = response.headers.get('last-modified');
    if (etag !== null) next.etag = etag;
    if (lastModified !== null) next.lastModified = lastModified;
    return { changed: true, text, validators: next };
  } catch (err) {
    if (err instanceof VendorStatusError) throw err;
    if (timeout.aborted) throw new VendorStatusError('timeout', `did not answer within ${limits.timeoutMs} ms`, { cause: err });
    throw new VendorStatusError('unreachable', `could not be fetched: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new VendorStatusError('too_large', `sent more than the cap of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
