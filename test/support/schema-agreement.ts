/**
 * Holds a hand-written check to the zod schema it stands in for: every field of a valid value (at every
 * depth) is deleted or replaced by every kind of JSON value, and each result must be accepted by both or
 * refused by both. Returns how many were compared and where they disagreed.
 */
type Path = (string | number)[];

const DELETE = Symbol('delete');
const REPLACEMENTS: unknown[] = [DELETE, null, 'text', '', 0, -1, 1.5, 2 ** 60, true, [], {}, [{}], { index: 0 }];

/** Every path to a value inside `value`. */
function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const own = Object.keys(value).map((k) => (Array.isArray(value) ? Number(k) : k));
  return [prefix, ...own.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...prefix, k]))];
}

function withValue(base: object, path: Path, replacement: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  if (path.length === 0) return replacement;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (replacement === DELETE) delete at[last];
  else at[last] = replacement;
  return copy;
}

/** `accepts` says whether the hand check accepted a value; `extra` adds replacements that matter to one schema. */
export function disagreements(
  base: object,
  accepts: (json: unknown) => boolean,
  schema: { safeParse(json: unknown): { success: boolean } },
  extra: unknown[] = [],
): { compared: number; found: string[] } {
  let compared = 0;
  const found: string[] = [];
  for (const path of paths(base)) {
    for (const replacement of [...REPLACEMENTS, ...extra]) {
      const json = withValue(base, path, replacement);
      const hand = accepts(json);
      const bySchema = schema.safeParse(json).success;
      compared += 1;
      if (hand !== bySchema) found.push(`${path.join('.') || '(root)'} = ${String(replacement === DELETE ? '(deleted)' : JSON.stringify(replacement))}: hand ${hand}, schema ${bySchema}`);
    }
  }
  return { compared, found };
}
