/**
 * The degraded-answer cache: recent successful answers, by an exact-match key of tenant and normalised
 * request, kept for a route's TTL, so that when every deployment is down a repeated question still gets
 * the answer it got before (marked as degraded). Bounded: least recently used entries go first, so the
 * cache can never grow past its entry limit.
 */
import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/chat-request.js';
import type { ChatResponse } from '../core/chat-response.js';

const DEFAULT_MAX_ENTRIES = 1_000; // a few MB of typical answers

interface Entry {
  response: ChatResponse;
  expiresAtMs: number;
}

/**
 * Where degraded answers are kept: this process's `ResponseCache`, or one shared by several replicas
 * (Redis). Reads may be slow or fail (then: no cached answer); writes never block the answer.
 */
export interface AnswerCache {
  get(key: string, nowMs: number): Promise<ChatResponse | undefined>;
  set(key: string, response: ChatResponse, ttlMs: number, nowMs: number): void;
}

/** The in-process cache as an `AnswerCache`. */
export function localAnswerCache(cache = new ResponseCache()): AnswerCache {
  return {
    get: (key, nowMs) => Promise.resolve(cache.get(key, nowMs)),
    set: (key, response, ttlMs, nowMs) => cache.set(key, response, ttlMs, nowMs),
  };
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  get(key: string, nowMs: number): ChatResponse | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAtMs <= nowMs) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry.response;
  }

  set(key: string, response: ChatResponse, ttlMs: number, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { response, expiresAtMs: nowMs + ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** JSON with sorted keys, so the same request written with its fields in another order hashes the same. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The exact-match key: the tenant, the route, and what determines the answer (prompt, tools, sampling);
 * not whether it streams or which client format asked, so a cached JSON answer can serve a stream.
 */
export function cacheKey(tenant: string, route: string, request: ChatRequest): string {
  const { system, messages, tools, toolChoice, maxTokens, stop, sampling, responseFormat, reasoning } = request;
  const normalised = stable({ tenant, route, system, messages, tools, toolChoice, maxTokens, stop, sampling, responseFormat, reasoning });
  return createHash('sha256').update(normalised).digest('hex');
}
