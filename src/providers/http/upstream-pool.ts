/**
 * One keep-alive connection pool per deployment. Pools are made on first use and kept: opening a TLS
 * connection per request would add a round trip or two to every call, and a pool per deployment (not per
 * origin) keeps one deployment's stuck sockets from starving another that shares a host.
 */
import { Pool } from 'undici';
import type { Deployment } from '../../config/resolve-config.js';

const KEEP_ALIVE_MS = 60_000; // providers close idle sockets after ~60-120 s; reuse them until then

/** What a pool is made from: a config reload that changes any of it gets a new pool. */
const pools = new Map<string, { pool: Pool; shape: string }>();

/**
 * What one deployment record resolved to, so the request path parses no URL: a record is never changed
 * (a reload makes new ones, which are checked against their pool's shape again).
 */
const resolved = new WeakMap<Deployment, { origin: string; basePath: string; pool?: Pool }>();

/** A deployment's pool and base path together: what every attempt needs, found with one lookup. */
export function upstreamOf(deployment: Deployment): { pool: Pool; basePath: string } {
  const entry = resolve(deployment);
  // A pool closed since (closeAllPools, or a reload that reshaped it) is looked up or made again.
  if (entry.pool === undefined || pools.get(deployment.id)?.pool !== entry.pool) entry.pool = poolOf(deployment, entry.origin);
  return entry as { pool: Pool; basePath: string };
}

/** The path part of a deployment's base URL, to prefix to endpoint paths (`/v1`). */
export function basePath(deployment: Deployment): string {
  return resolve(deployment).basePath;
}

function resolve(deployment: Deployment): { origin: string; basePath: string; pool?: Pool } {
  let entry = resolved.get(deployment);
  if (entry === undefined) {
    const url = new URL(deployment.baseUrl);
    entry = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
    resolved.set(deployment, entry);
  }
  return entry;
}

function poolOf(deployment: Deployment, origin: string): Pool {
  const shape = `${origin} ${deployment.maxConnections} ${deployment.timeouts.connectMs}`;
  const existing = pools.get(deployment.id);
  if (existing !== undefined && existing.shape === shape) return existing.pool;
  if (existing !== undefined) void existing.pool.close();
  const pool = new Pool(origin, {
    connections: deployment.maxConnections,
    connectTimeout: deployment.timeouts.connectMs,
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MS,
    // Timeouts are enforced per attempt by the provider (TTFT, idle), which knows the deadline.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  pools.set(deployment.id, { pool, shape });
  return pool;
}

export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map(({ pool }) => pool.destroy()));
}
