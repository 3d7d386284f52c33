/**
 * Writes to a store file in a tight loop until killed: each iteration adds one rollup (ok: 1) and saves
 * one incident, then prints its number once both are committed. The crash test kills this process with
 * SIGKILL and checks that every printed number's writes survived. Usage: crash-writer.ts <file> <first>
 */
import { SqliteStore } from '../sqlite-store.js';
import { emptyRollup } from '../rollup-math.js';

const [path, first = '1'] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: crash-writer.ts <file> <first>');
const store = new SqliteStore({ path });
await store.migrate();
process.stdout.write('ready\n');
for (let i = Number(first); ; i++) {
  const row = emptyRollup((i % 10) * 60_000, 'deployment', 'claude-direct', 'client');
  await store.addRollups([{ ...row, outcomes: { ok: 1 }, inputTokens: i }]);
  await store.saveIncident({
    id: `inc-${i}`,
    component: 'deployment:claude-direct',
    title: 'crash test',
    status: 'investigating',
    impact: 'partial_outage',
    openedAt: i,
    impactStart: i,
    updates: [{ at: i, status: 'investigating', message: `update ${i}`, author: 'keel' }],
  });
  // Pipes are synchronous on POSIX: once this returns, the reader has the acknowledgement.
  process.stdout.write(`${i}\n`);
}
