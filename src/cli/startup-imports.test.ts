import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(dirname(fileURLToPath(import.meta.url)));

/** The modules a file loads when it is loaded: its static value imports and re-exports (not `import type`, not `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[\s\S]*?\sfrom\s+)?'([^']+)'/gm)) found.push(m[1]!);
  return found;
}

/** Every source file and package `keel` loads at start-up, from the CLI's entry, by following static imports. */
function startupGraph(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [join(SRC, 'cli', 'keel.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (!spec.startsWith('.')) {
        packages.add(spec);
        continue;
      }
      const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) queue.push(target);
    }
  }
  return { files, packages };
}

describe('what `keel serve` loads at start-up', () => {
  const { files, packages } = startupGraph();
  const loaded = [...files].map((f) => relative(SRC, f));

  it('follows the real graph (the gateway, the router and the OpenAI provider are in it)', () => {
    expect(loaded).toEqual(expect.arrayContaining(['server/gateway-server.ts', 'router/router.ts', 'providers/openai/openai-provider.ts']));
  });

  it('leaves out the simulator and the drill machinery: they load only when a config or command asks for them', () => {
    expect(loaded.filter((f) => f.startsWith('simulator/') && f !== 'simulator/faults.ts' && f !== 'simulator/json-shape.ts')).toEqual([]);
    // Only the `drill` command's definition and the built-in scenarios' names (its help text lists them).
    expect(loaded.filter((f) => f.startsWith('drill/'))).toEqual(['drill/drill-cli.ts', 'drill/built-in-scenarios.ts']);
  });

  it("leaves out the AWS SDK (credential chain, signer, event-stream codec) until the first Bedrock call", () => {
    expect([...packages].filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'))).toEqual([]);
  });
});
