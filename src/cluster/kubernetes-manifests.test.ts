/**
 * The Kubernetes manifests in deploy/kubernetes cannot be applied here, so this checks what a typo would
 * break: every file parses, the kinds are the expected ones, and the numbers that must agree across files
 * (probe paths, ports, labels, the shutdown timing, the secrets keel.yaml refers to) agree.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Manifests are free-form documents; the assertions are the schema.
type Doc = Record<string, any>;

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(`${DIR}${file}`, 'utf8'));
  for (const doc of docs) expect(doc.errors, file).toEqual([]);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const byKind = new Map<string, Doc>(manifests.flatMap(load).map((d) => [d['kind'] as string, d]));
const deployment = byKind.get('Deployment')!;
const pod = deployment['spec']['template'];
const container = pod['spec']['containers'][0];
const keelYaml = parse(byKind.get('ConfigMap')!['data']['keel.yaml']) as Doc;

describe('deploy/kubernetes', () => {
  it('parses, holds the expected kinds, and the kustomization lists every file', () => {
    expect([...byKind.keys()].sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service']);
    expect(manifests.length).toBe(byKind.size);
    expect([...(load('kustomization.yaml')[0]!['resources'] as string[])].sort()).toEqual([...manifests].sort());
  });

  it('runs three replicas, ready on /readyz and alive on /healthz, on the port the Service targets', () => {
    expect(deployment['spec']['replicas']).toBe(3);
    expect(container['readinessProbe']['httpGet']).toEqual({ path: '/readyz', port: 'http' });
    expect(container['livenessProbe']['httpGet']).toEqual({ path: '/healthz', port: 'http' });
    expect(container['ports']).toEqual([{ name: 'http', containerPort: keelYaml['server']['port'], protocol: 'TCP' }]);
    const service = byKind.get('Service')!;
    expect(service['spec']['ports'][0]['targetPort']).toBe('http');
    expect(pod['metadata']['labels']).toMatchObject(service['spec']['selector']);
    expect(pod['metadata']['labels']).toMatchObject(deployment['spec']['selector']['matchLabels']);
    expect(pod['metadata']['labels']).toMatchObject(byKind.get('PodDisruptionBudget')!['spec']['selector']['matchLabels']);
  });

  it('gives Keel longer to stop than the preStop sleep plus its drain timeout', () => {
    const [sleep, seconds] = container['lifecycle']['preStop']['exec']['command'] as string[];
    expect(sleep).toBe('sleep');
    const drainS = keelYaml['server']['drain_timeout_ms'] / 1000;
    expect(pod['spec']['terminationGracePeriodSeconds']).toBeGreaterThan(Number(seconds) + drainS);
  });

  it('autoscales the Deployment on CPU, never below three, with CPU requests to measure against', () => {
    const hpa = byKind.get('HorizontalPodAutoscaler')!['spec'];
    expect(hpa['scaleTargetRef']).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment['metadata']['name'] });
    expect(hpa['minReplicas']).toBeGreaterThanOrEqual(3);
    expect(hpa['maxReplicas']).toBeGreaterThan(hpa['minReplicas']);
    expect(hpa['metrics'][0]['resource']['name']).toBe('cpu');
    expect(container['resources']['requests']['cpu']).toBeDefined();
  });

  it('mounts the config where KEEL_CONFIG points, and the Secret provides every ${VAR} keel.yaml uses', () => {
    const env = Object.fromEntries((container['env'] as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const mount = (container['volumeMounts'] as { name: string; mountPath: string }[]).find((m) => m.name === 'config')!;
    expect(env['KEEL_CONFIG']).toBe(`${mount.mountPath}/keel.yaml`);
    expect(container['envFrom'][0]['secretRef']['name']).toBe(byKind.get('Secret')!['metadata']['name']);
    const referenced = [...(byKind.get('ConfigMap')!['data']['keel.yaml'] as string).matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]);
    expect(Object.keys(byKind.get('Secret')!['stringData']).sort()).toEqual([...new Set(referenced)].sort());
    expect(keelYaml['store']['postgres_url']).toBe('${KEEL_POSTGRES_URL}');
    expect(keelYaml['cluster']).toMatchObject({ redis_url: '${KEEL_REDIS_URL}', lease: 'redis' });
  });

  it('matches the Dockerfile: the user the pod runs as, the exposed port, the health check', () => {
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^USER ${pod['spec']['securityContext']['runAsUser']}:`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${container['ports'][0]['containerPort']}$`, 'm'));
    expect(dockerfile).toContain(`http://127.0.0.1:${container['ports'][0]['containerPort']}/healthz`);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/cli\/keel\.js", "serve", "--host", "0\.0\.0\.0"\]$/m);
  });
});
