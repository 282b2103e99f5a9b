import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployFiles, formatProblem, validateDeployFiles, type DeployProblem } from '../../scripts/validate-deploy.ts';

// The deployment examples (deploy/) and the offline validator that `npm run check` runs on them.

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (file: string) => readFile(path.join(root, file), 'utf8');
const show = (problems: readonly DeployProblem[]) => problems.map(formatProblem).join('\n');

/** A real file from deploy/, with one edit that must be found in it, so a test cannot pass by editing nothing. */
async function edited(file: string, from: string | RegExp, to: string): Promise<{ file: string; text: string }> {
  const text = await read(file);
  const changed = text.replace(from, to);
  expect(changed, `the edit ${String(from)} -> ${to} changes nothing in ${file}`).not.toBe(text);
  return { file, text: changed };
}

describe('the files in deploy/', () => {
  it('are the compose file and the manifests of every module group, and all of them are valid', async () => {
    const files = await deployFiles();
    expect(files).toEqual(
      expect.arrayContaining(['deploy/compose.yaml', 'deploy/k8s/config.yaml', 'deploy/k8s/core.yaml', 'deploy/k8s/inventory.yaml', 'deploy/k8s/payments.yaml', 'deploy/k8s/secrets.yaml']),
    );
    const problems = await validateDeployFiles(await Promise.all(files.map(async (file) => ({ file, text: await read(file) }))));
    expect(show(problems)).toBe('');
  });
});

describe('a broken Kubernetes manifest fails validation', () => {
  it('names an unknown field in a probe, with its path and line', async () => {
    const broken = await edited('deploy/k8s/payments.yaml', /(readinessProbe:[\s\S]*?)periodSeconds: 5/, '$1periodSecond: 5');
    const problems = await validateDeployFiles([broken]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      file: 'deploy/k8s/payments.yaml',
      where: 'Deployment seams-payments: spec.template.spec.containers[0].readinessProbe.periodSecond',
    });
    expect(problems[0]!.message).toMatch(/unknown field "periodSecond"/);
    expect(broken.text.split('\n')[problems[0]!.line! - 1]).toContain('periodSecond: 5');
  });

  it('names a value of the wrong type', async () => {
    const broken = await edited('deploy/k8s/core.yaml', 'replicas: 2', 'replicas: two');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/deploy\/k8s\/core\.yaml:\d+: Deployment seams-core: spec\.replicas: must be integer/);
  });

  it('names a probe port that is neither a number nor a port name', async () => {
    const broken = await edited('deploy/k8s/inventory.yaml', /(livenessProbe:\s+httpGet:\s+path: \/health\/live\s+)port: http/, '$1port: { name: http }');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/livenessProbe\.httpGet\.port: must be string, or must be integer/);
  });

  it('names a required field that is missing', async () => {
    const broken = await edited('deploy/k8s/core.yaml', /\n\s+port: 3000/, '');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/Service seams-core: spec\.ports\[0\]: must have required property '?port'?/);
  });

  it('names a kind it has no schema for', async () => {
    const broken = await edited('deploy/k8s/config.yaml', 'kind: ConfigMap', 'kind: Configmap');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/no Kubernetes schema for apiVersion "v1", kind "Configmap"/);
  });

  it('reports YAML that does not parse', async () => {
    const broken = await edited('deploy/k8s/config.yaml', 'data:', 'data: [');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/deploy\/k8s\/config\.yaml:\d+: document 1: YAML: /);
  });
});

describe('a broken compose file fails validation', () => {
  it('names an unknown field in a healthcheck', async () => {
    const broken = await edited('deploy/compose.yaml', /(pg_isready[^\n]*\n\s+)interval: 5s/, '$1intervall: 5s');
    const problems = await validateDeployFiles([broken]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ where: 'services.postgres.healthcheck.intervall', message: expect.stringMatching(/unknown field "intervall"/) });
  });

  it('names a depends_on condition that Compose does not have', async () => {
    const broken = await edited('deploy/compose.yaml', /(postgres-payments:\n\s+)condition: service_healthy/, '$1condition: service_ready');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/services\.payments\.depends_on\.postgres-payments\.condition: must be equal to one of the allowed values: "service_started", "service_healthy"/);
  });

  it('names a duration that is not one', async () => {
    const broken = await edited('deploy/compose.yaml', 'stop_grace_period: 15s', 'stop_grace_period: fifteen seconds');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/services\.(payments|inventory|core)\.stop_grace_period: must match format "duration"/);
  });

  it('names a $ that Compose would refuse to interpolate', async () => {
    const broken = await edited('deploy/compose.yaml', '(e.g. from openssl rand -hex 32)}', '(e.g. $(openssl rand -hex 32))}');
    const problems = await validateDeployFiles([broken]);
    expect(show(problems)).toMatch(/x-seams-environment\.JWT_SECRET: Compose reads "\$" as the start of a variable/);
    // $$ is Compose's literal $. (A function as replacement: in a replacement string, $$ itself means $.)
    const escaped = (await read('deploy/compose.yaml')).replace('(e.g. from openssl rand -hex 32)}', () => '(e.g. $$(openssl rand -hex 32))}');
    expect(escaped).toContain('$$(openssl');
    expect(show(await validateDeployFiles([{ file: 'deploy/compose.yaml', text: escaped }]))).toBe('');
  });

  it('names a dependency on a service that does not exist, and an undeclared volume', async () => {
    const noService = await edited('deploy/compose.yaml', /(\n\s+)nats:\n(\s+)condition: service_healthy/, '$1natz:\n$2condition: service_healthy');
    expect(show(await validateDeployFiles([noService]))).toMatch(/services\.payments\.depends_on\.natz: depends on "natz", which is not a service here/);
    const noVolume = await edited('deploy/compose.yaml', '- nats-data:/data', '- nat-data:/data');
    expect(show(await validateDeployFiles([noVolume]))).toMatch(/services\.nats\.volumes\[0\]: uses the named volume "nat-data", which is not declared/);
  });
});
