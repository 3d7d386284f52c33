/**
 * Test support for code that needs a real PostgreSQL: where it is (`KEEL_TEST_POSTGRES_URL`, else the local
 * server with trust auth), whether it answers, and throwaway schemas named `keel_test_<random>` that a test
 * creates and drops, so runs never see each other's tables.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { quoteSchema } from '../postgres-migrations.js';

export const TEST_POSTGRES_URL = process.env['KEEL_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresUnavailable(url = TEST_POSTGRES_URL): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL is not reachable at ${url.replace(/\/\/[^@]*@/, '//')} (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function throwawaySchemaName(): string {
  return `keel_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a connection of its own (for setup, cleanup and killing backends). */
export async function adminQuery<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = [], url = TEST_POSTGRES_URL): Promise<R[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string, url = TEST_POSTGRES_URL): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`, [], url);
}
