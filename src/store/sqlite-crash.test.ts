import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const WRITER = fileURLToPath(new URL('./__fixtures__/crash-writer.ts', import.meta.url));

/** Runs the writer from iteration `first` until it has acknowledged `until`, kills it; returns the last ack read. */
function writeUntilKilled(path: string, first: number, until: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), WRITER, path, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let lastAck = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (/^\d+$/.test(line)) lastAck = Number(line);
      if (lastAck >= until && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited (${code ?? signal}) before the kill: ${stderr}`));
      else resolve(lastAck);
    });
  });
}

describe('SqliteStore crash safety', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keel-crash-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write when the process is killed mid-loop (SIGKILL)', async () => {
    const path = join(dir, 'keel.db');
    let acknowledged = 0;
    // Twice: the second run reopens a file whose WAL a killed process left behind, and is killed too.
    for (const until of [200, 400]) {
      acknowledged = await writeUntilKilled(path, acknowledged + 1, until);
      expect(acknowledged).toBeGreaterThanOrEqual(until);
      // The killed writer never checkpointed on close: the next open has a WAL to recover from.
      expect(existsSync(`${path}-wal`)).toBe(true);
      const check = new Database(path);
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      check.close();
    }

    const store = new SqliteStore({ path });
    await store.migrate();
    const rows = await store.readRollups({ fromMinute: 0, toMinute: 10 * 60_000 });
    const oks = rows.reduce((sum, r) => sum + (r.outcomes.ok ?? 0), 0);
    // At least every acknowledged one; a few more if a kill landed between a commit and its acknowledgement.
    expect(oks).toBeGreaterThanOrEqual(acknowledged);
    for (let i = 1; i <= acknowledged; i++) {
      const saved = await store.getIncident(`inc-${i}`);
      expect(saved?.updates[0]?.message, `incident ${i}`).toBe(`update ${i}`);
    }
    await store.close();
  });
});
