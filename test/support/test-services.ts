/**
 * What the tests need from the machine — PostgreSQL, Redis and a headless Chromium — where each is found,
 * and the one check every such test makes before using it. A test that cannot reach one of them fails
 * (never skips) with a message naming what is missing and the README's test line, which installs or starts
 * it: a run that skips its PostgreSQL, Redis or browser tests would pass without having tested them.
 */
import { accessSync, constants } from 'node:fs';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';

/** The README's test line: it installs Chromium, starts PostgreSQL and Redis, installs node_modules, then tests. */
export const README_TEST_LINE = 'npm run test:all';

export const TEST_POSTGRES_URL = process.env['KEEL_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env['KEEL_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** Debian's chromium package (`apt-get install chromium`); a Playwright browser download fails on these machines. */
export const CHROMIUM_PATH = process.env['KEEL_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

// As root in a container Chromium needs --no-sandbox; without the background-networking flags it keeps
// trying to reach Google's hosts, which a closed network refuses many times per start.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Long enough for a loaded 2-core machine, short enough that a missing service fails a file in seconds.
const CONNECT_TIMEOUT_MS = 3_000;

export type TestService = 'postgres' | 'redis';

export class MissingTestDependencyError extends Error {
  override name = 'MissingTestDependencyError';
}

/** Throws, naming the service, its address and how to get it, unless it answers. */
export async function requireService(service: TestService, url = service === 'postgres' ? TEST_POSTGRES_URL : TEST_REDIS_URL): Promise<void> {
  const problem = service === 'postgres' ? await postgresProblem(url) : await redisProblem(url);
  if (problem === undefined) return;
  const [what, envVar] = service === 'postgres' ? ['PostgreSQL', 'KEEL_TEST_POSTGRES_URL'] : ['Redis', 'KEEL_TEST_REDIS_URL'];
  throw new MissingTestDependencyError(
    `${what} is not reachable at ${withoutCredentials(url)} (${problem}). Run the README's test line, \`${README_TEST_LINE}\`: ` +
      `it starts ${what} when it is installed, and says how to install it when it is not; or set ${envVar}.`,
  );
}

/** The Chromium executable to launch; throws, naming the path and how to install it, when there is none. */
export function requireChromium(path = CHROMIUM_PATH): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    throw new MissingTestDependencyError(
      `Chromium is not installed at ${path}${process.env['KEEL_TEST_CHROMIUM'] === undefined ? '' : ' (KEEL_TEST_CHROMIUM)'}. ` +
        `Run the README's test line, \`${README_TEST_LINE}\`: it installs Debian's chromium (apt-get install -y chromium).`,
    );
  }
}

/** A headless Chromium with the flags these machines need; fails as `requireChromium` does when there is none. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = requireChromium();
  // Imported here so the PostgreSQL and Redis tests that share this file never load playwright.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

async function postgresProblem(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return errorText(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisProblem(url: string): Promise<string | undefined> {
  // No retries: one refused connection is the answer.
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // connect() rejects with a bare "Connection is closed."; the cause (ECONNREFUSED...) comes as an event.
  let cause: unknown;
  probe.on('error', (err: unknown) => {
    cause ??= err;
  });
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (err) {
    return errorText(cause ?? err);
  } finally {
    probe.disconnect();
  }
}

function errorText(err: unknown): string {
  // An AggregateError (IPv4 and IPv6 both refused) has an empty message; its parts say what happened.
  if (err instanceof AggregateError && err.message === '') return err.errors.map(errorText).join('; ');
  return err instanceof Error ? err.message : String(err);
}

function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
