/**
 * Where the built-in drill scenarios live and their names, apart from the scenario loader: `keel`'s help
 * text lists the names at start-up, and the loader (YAML, the scenario schema) should load only when a
 * drill runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built-in scenarios: `scenarios/` at the package root, from `src/drill` and from `dist/drill`. */
export const BUILT_IN_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export function builtInScenarioNames(): string[] {
  if (!existsSync(BUILT_IN_DIR)) return [];
  return readdirSync(BUILT_IN_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}
