/**
 * One row mapper for stored responses, for both SQL stores: SQLite keeps the JSON as text and epoch ms
 * as a number, PostgreSQL hands back `jsonb` already parsed and `bigint` as a string. Rows are read
 * through a schema, so a row edited by hand fails loudly instead of reaching a client half-formed.
 */
import { z } from 'zod';
import type { StoredResponse } from './store.js';

export interface ResponseDbRow {
  tenant: string;
  id: string;
  created_at: number | string;
  response: string | Record<string, unknown>;
  items: string | unknown[];
}

const json = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (typeof value === 'string' ? JSON.parse(value) : value), schema);

const responseRow = z.object({
  tenant: z.string(),
  id: z.string(),
  created_at: z.coerce.number(),
  response: json(z.record(z.string(), z.unknown())),
  items: json(z.array(z.unknown())),
});

export function toStoredResponse(row: ResponseDbRow): StoredResponse {
  const parsed = responseRow.parse(row);
  return { tenant: parsed.tenant, id: parsed.id, createdAt: parsed.created_at, response: parsed.response, items: parsed.items };
}
