#!/usr/bin/env node
/**
 * Exits 0 when node_modules holds exactly what package-lock.json says, 1 when `npm ci` is needed. It compares
 * the lockfile with the record npm writes at the end of every install (node_modules/.package-lock.json):
 * every installed package must match its lockfile entry, and a lockfile entry may be absent only when it is
 * optional (another platform's binary). Plain JavaScript on purpose: it runs before anything is installed.
 */
import { readFileSync } from 'node:fs';

function packagesOf(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8')).packages ?? {};
  } catch {
    return undefined;
  }
}

const wanted = packagesOf('package-lock.json');
const installed = packagesOf('node_modules/.package-lock.json');

function why() {
  if (wanted === undefined) return 'package-lock.json cannot be read';
  if (installed === undefined) return 'node_modules is missing or was never fully installed';
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '') continue; // the project itself
    const have = installed[path];
    if (have === undefined) {
      if (entry.optional === true) continue;
      return `${path} is not installed`;
    }
    if (JSON.stringify(have) !== JSON.stringify(entry)) return `${path} differs from package-lock.json`;
  }
  for (const path of Object.keys(installed)) if (!(path in wanted)) return `${path} is installed but not in package-lock.json`;
  return undefined;
}

const reason = why();
if (reason !== undefined) {
  process.stdout.write(`${reason}\n`);
  process.exit(1);
}
