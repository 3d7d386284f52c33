/**
 * Test support for code that needs a real PostgreSQL (found and required through `test/support/test-services`):
 * throwaway schemas named `keel_test_<random>` that a test creates and drops, so runs never see each other's
 * tables, and one-off admin statements on a connection of their own.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_POSTGRES_URL } from '../../../../test/support/test-services.js';
import { quoteSchema } from '../postgres-migrations.js';

export { TEST_POSTGRES_URL };

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
