import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * scripts/audit.ts decides whether CI fails on `npm audit`'s answer. The registry here answers no advisory requests,
 * so each answer is fed to it as a saved report (AUDIT_REPORT_FILE), the shape `npm audit --json` prints.
 */
const folder = mkdtempSync(path.join(tmpdir(), 'seams-audit-'));

function audit(report: unknown, env: Record<string, string> = {}) {
  const file = path.join(folder, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(report));
  const run = spawnSync(process.execPath, ['scripts/audit.ts'], { encoding: 'utf8', env: { ...process.env, AUDIT_REPORT_FILE: file, ...env } });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('npm run audit', () => {
  it('fails naming each runtime package with a high or critical advisory, and its advisory', () => {
    const result = audit({
      vulnerabilities: {
        'left-pad': { severity: 'critical', via: [{ title: 'Prototype pollution', url: 'https://github.com/advisories/GHSA-xxxx' }] },
        'uses-left-pad': { severity: 'high', via: ['left-pad'] },
        'minor-thing': { severity: 'low', via: [{ title: 'Harmless' }] },
      },
    });
    expect(result.status).toBe(1);
    expect(result.out).toContain('audit: CRITICAL left-pad: Prototype pollution https://github.com/advisories/GHSA-xxxx');
    expect(result.out).toContain('audit: HIGH uses-left-pad: through left-pad');
    expect(result.out).toContain('2 runtime package(s) with high or critical advisories: left-pad, uses-left-pad');
    expect(result.out).not.toContain('minor-thing');
  });

  it('passes when only lower advisories are found, saying how many', () => {
    const result = audit({ vulnerabilities: { 'minor-thing': { severity: 'moderate', via: [{ title: 'Harmless' }] } } });
    expect(result.status).toBe(0);
    expect(result.out).toContain('no high or critical advisory in the runtime dependencies (1 lower ones)');
  });

  it('warns that nothing was audited when the registry cannot be asked, and fails then with AUDIT_REQUIRED=true', () => {
    const unreachable = { error: { summary: '405 Method Not Allowed' } };
    const lenient = audit(unreachable);
    expect(lenient.status).toBe(0);
    expect(lenient.out).toContain('runtime dependencies were NOT audited');
    expect(lenient.out).toContain('405 Method Not Allowed');
    expect(audit(unreachable, { AUDIT_REQUIRED: 'true' }).status).toBe(1);
  });
});
