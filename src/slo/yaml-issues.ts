/**
 * Positions for validation problems in YAML input (SLA data, OpenSLO): the line of the deepest node that
 * exists along a schema issue's path, so a missing key is reported where its parent sits.
 */
import type { Document, LineCounter } from 'yaml';

export function lineOf(doc: Document, path: readonly PropertyKey[], lineCounter: LineCounter): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** `routes.smart.deployments[1]`: how a reader writes a path into a document. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`)).join('');
}
