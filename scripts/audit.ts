/**
 * `npm audit --omit=dev --audit-level=high` as CI runs it (.ci/run): exits 1 naming each runtime package with a high
 * or critical advisory. When the registry's advisory endpoint cannot be reached, it says so loudly and exits 0 (the
 * dependencies were not audited; a closed endpoint is not a finding), or 1 with AUDIT_REQUIRED=true.
 * AUDIT_REPORT_FILE reads a saved `npm audit --json` report instead of asking the registry: the test of the failing
 * path uses it, since this machine's registry answers no advisory requests.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface AuditReport {
  vulnerabilities?: Record<string, { severity: string; via: Array<string | { title?: string; url?: string }>; fixAvailable?: unknown }>;
  message?: string;
  error?: { summary?: string };
}

const saved = process.env.AUDIT_REPORT_FILE;
const run = saved
  ? { stdout: readFileSync(saved, 'utf8'), stderr: '' }
  : spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8' });
let report: AuditReport;
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  report = { message: (run.stderr || run.stdout).trim().split('\n').at(-1) ?? 'no output' };
}
if (!report.vulnerabilities) {
  const reason = report.message ?? report.error?.summary ?? 'no report';
  process.stderr.write(`audit: WARNING: the advisory database could not be asked (${reason}); runtime dependencies were NOT audited.\n`);
  process.exit(process.env.AUDIT_REQUIRED === 'true' ? 1 : 0);
}
const serious = Object.entries(report.vulnerabilities).filter(([, finding]) => finding.severity === 'high' || finding.severity === 'critical');
if (serious.length === 0) {
  process.stdout.write(`audit: no high or critical advisory in the runtime dependencies (${Object.keys(report.vulnerabilities).length} lower ones)\n`);
  process.exit(0);
}
for (const [name, finding] of serious) {
  const advisories = finding.via.map((via) => (typeof via === 'string' ? `through ${via}` : `${via.title ?? 'advisory'} ${via.url ?? ''}`.trim()));
  process.stderr.write(`audit: ${finding.severity.toUpperCase()} ${name}: ${advisories.join('; ')}\n`);
}
process.stderr.write(`audit FAILED: ${serious.length} runtime package(s) with high or critical advisories: ${serious.map(([name]) => name).join(', ')}\n`);
process.exit(1);
