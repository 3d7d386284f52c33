/**
 * Secrets in the config: provider keys, the admin token and virtual keys belong in the environment
 * (`${OPENAI_API_KEY}`) or in files (`api_key_file`), never written into keel.yaml, which gets committed,
 * copied and pasted into tickets. A literal one is warned about (not refused: a local experiment may do
 * it knowingly), naming where it is and never what it is. Header values that carry credentials
 * (`Authorization`, `x-api-key`, `...token`) are registered for redaction like provider keys.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { KeelConfig } from '../../config/schema.js';
import { secrets } from '../../core/secrets.js';

const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password/i;

type Doc = Record<string, unknown>;

const isDoc = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);
const isLiteral = (v: unknown): boolean => typeof v === 'string' && v !== '' && !v.includes('${');

function literalHeaders(headers: unknown, path: string): string[] {
  if (!isDoc(headers)) return [];
  return Object.entries(headers)
    .filter(([name, value]) => SECRET_HEADER.test(name) && isLiteral(value))
    .map(([name]) => `${path}.${name}`);
}

/** Paths of secrets written literally into a config document (before `${VAR}` interpolation). */
export function literalSecretPaths(raw: unknown): string[] {
  if (!isDoc(raw)) return [];
  const found: string[] = [];
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  list(raw['deployments']).forEach((d, i) => {
    if (!isDoc(d)) return;
    if (isLiteral(d['api_key'])) found.push(`deployments[${i}].api_key`);
    found.push(...literalHeaders(d['headers'], `deployments[${i}].headers`));
  });
  list(raw['keys']).forEach((k, i) => {
    if (isDoc(k) && isLiteral(k['key'])) found.push(`keys[${i}].key`);
  });
  if (isDoc(raw['server']) && isLiteral(raw['server']['admin_token'])) found.push('server.admin_token');
  if (isDoc(raw['telemetry'])) found.push(...literalHeaders(raw['telemetry']['otlp_headers'], 'telemetry.otlp_headers'));
  return found;
}

/** The config document as written: the inline one, or the YAML file `source` names (if it is one). */
export function rawConfig(source: string, inline: unknown): unknown {
  if (inline !== undefined) return inline;
  const path = resolve(source);
  if (!existsSync(path)) return undefined;
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // the loader already reported a broken file
  }
}

/** Registers credential-carrying header values for redaction. */
export function registerHeaderSecrets(config: KeelConfig): void {
  const headerSets = [...config.deployments.map((d) => d.headers), config.telemetry.otlp_headers];
  for (const headers of headerSets) {
    for (const [name, value] of Object.entries(headers)) {
      if (SECRET_HEADER.test(name)) secrets.add(value.replace(/^(Bearer|Basic)\s+/i, ''));
    }
  }
}
