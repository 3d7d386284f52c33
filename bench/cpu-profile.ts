/**
 * `--profile` support: the node flags that make a child write a V8 CPU profile when it exits, and a
 * summary of that profile as the functions with the most self time — the evidence behind a missed
 * target. Self time is summed per function (name + file + line) from the sample deltas, so a function
 * inlined under several callers is still counted once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  /** file:line, shortened to the project or to `node:…`. */
  where: string;
  selfMs: number;
  /** Share of the non-idle sampled time. */
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time not spent idle, in ms. */
  busyMs: number;
  top: HotFunction[];
  /** Self time summed per source file: which modules the time goes to. */
  byFile: { file: string; selfMs: number; selfPct: number }[];
}

/** Flags for a child that should write `<dir>/<name>.cpuprofile` on exit; none when not profiling. */
export function cpuProfArgs(dir: string | undefined, name: string): string[] {
  return dir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`];
}

export function profilePath(dir: string, name: string): string {
  return join(dir, `${name}.cpuprofile`);
}

function shortUrl(url: string, root: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (path.startsWith(root)) return path.slice(root.length + 1);
  const modules = path.lastIndexOf('/node_modules/');
  return modules >= 0 ? path.slice(modules + 1) : path;
}

export function summariseCpuProfile(file: string, root: string, topN = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  const fileUs = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    busyUs += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : `${shortUrl(url, root)}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const entry = selfUs.get(key) ?? { name: functionName === '' ? '(anonymous)' : functionName, where, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
    const source = url === '' ? functionName : shortUrl(url, root);
    fileUs.set(source, (fileUs.get(source) ?? 0) + delta);
  });
  const pct = (us: number): number => (busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 10);
  const top = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.us / 100) / 10, selfPct: pct(e.us) }));
  const byFile = [...fileUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([source, us]) => ({ file: source, selfMs: Math.round(us / 100) / 10, selfPct: pct(us) }));
  return { file, busyMs: Math.round(busyUs / 1000), top, byFile };
}
