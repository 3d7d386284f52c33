/**
 * The simulator's own HTTP endpoints under `/_sim/`, so drills and other processes (the `keel simulate`
 * CLI, a load generator) can switch faults and read stats without holding the `Simulator` object:
 * GET /_sim/health, GET /_sim/stats, GET|POST|DELETE /_sim/faults, POST /_sim/reset, and
 * POST /_sim/vendor-status (`{status, message?, impact?, name?}`: an update on the simulated status page).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultSpecError, parseFaultSpec, type FaultBook } from './faults.js';
import { readBody, sendJson } from './http-io.js';
import { isRecord } from './json-shape.js';
import type { StatsRecorder } from './stats.js';
import { VENDOR_PAGE_IMPACTS, VENDOR_STATUSES, type VendorStatusPage, type VendorUpdateInput } from './vendor-status-page.js';

export interface ControlTarget {
  faults: FaultBook;
  stats: StatsRecorder;
  vendorStatus: VendorStatusPage;
}

async function postVendorUpdate(req: IncomingMessage, res: ServerResponse, target: ControlTarget): Promise<void> {
  let input: unknown;
  try {
    input = JSON.parse(await readBody(req)) as unknown;
  } catch {
    return badRequest(res, 'body must be JSON: {"status": "investigating" | "identified" | "monitoring" | "resolved", "message"?: string}');
  }
  if (!isRecord(input) || !(VENDOR_STATUSES as readonly unknown[]).includes(input['status'])) return badRequest(res, `status must be one of ${VENDOR_STATUSES.join(', ')}`);
  if (input['impact'] !== undefined && !(VENDOR_PAGE_IMPACTS as readonly unknown[]).includes(input['impact'])) return badRequest(res, `impact must be one of ${VENDOR_PAGE_IMPACTS.join(', ')}`);
  for (const field of ['message', 'name']) if (input[field] !== undefined && typeof input[field] !== 'string') return badRequest(res, `${field} must be a string`);
  target.vendorStatus.post(input as unknown as VendorUpdateInput);
  sendJson(res, 200, { ok: true });
}

function badRequest(res: ServerResponse, message: string): void {
  sendJson(res, 400, { error: { message, type: 'invalid_request_error' } });
}

async function setFault(req: IncomingMessage, res: ServerResponse, target: ControlTarget): Promise<void> {
  let input: unknown;
  try {
    input = JSON.parse(await readBody(req)) as unknown;
  } catch {
    return badRequest(res, 'body must be JSON: {"model": "name" | "*", "fault": FaultSpec | null}');
  }
  if (!isRecord(input) || typeof input['model'] !== 'string' || input['model'] === '') {
    return badRequest(res, 'model must be a non-empty string (a model name or "*")');
  }
  try {
    const fault = input['fault'] === null || input['fault'] === undefined ? null : parseFaultSpec(input['fault']);
    target.faults.set(input['model'], fault);
  } catch (error) {
    if (error instanceof FaultSpecError) return badRequest(res, error.message);
    throw error;
  }
  sendJson(res, 200, { ok: true, faults: target.faults.list() });
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  target: ControlTarget,
): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /_sim/health':
      return sendJson(res, 200, { status: 'ok' });
    case 'GET /_sim/stats':
      return sendJson(res, 200, target.stats.snapshot());
    case 'GET /_sim/faults':
      return sendJson(res, 200, { faults: target.faults.list() });
    case 'POST /_sim/faults':
      return setFault(req, res, target);
    case 'DELETE /_sim/faults':
      target.faults.clear();
      return sendJson(res, 200, { ok: true });
    case 'POST /_sim/vendor-status':
      return postVendorUpdate(req, res, target);
    case 'POST /_sim/reset':
      target.faults.clear();
      target.stats.reset();
      return sendJson(res, 200, { ok: true });
    default:
      return sendJson(res, 404, { error: { message: `Unknown simulator control endpoint: ${route}`, type: 'not_found' } });
  }
}
