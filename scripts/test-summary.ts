// Prints the summary of a Vitest JSON report: counts per outcome, per project, and each failure.
// Used by .ci/run after the test command; exits non-zero when the report is missing or failed.

import { readFileSync } from 'node:fs';

interface Assertion {
  readonly fullName: string;
  readonly status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
  readonly duration?: number | null;
  readonly failureMessages?: readonly string[];
}
interface FileResult {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
  readonly assertionResults: readonly Assertion[];
  readonly startTime?: number;
  readonly endTime?: number;
}
interface Report {
  readonly success: boolean;
  readonly startTime: number;
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly numTodoTests: number;
  readonly numTotalTestSuites: number;
  readonly testResults: readonly FileResult[];
}

const path = process.argv[2] ?? 'test-results/vitest.json';
let report: Report;
try {
  report = JSON.parse(readFileSync(path, 'utf8')) as Report;
} catch (error) {
  console.log(`test summary: no report at ${path} (${(error as Error).message}); the test run did not finish.`);
  process.exit(1);
}

const kind = (file: string): string => /\/test\/(unit|integration|e2e)\//.exec(file)?.[1] ?? 'other';
const perKind = new Map<string, { files: number; passed: number; failed: number; skipped: number }>();
for (const file of report.testResults) {
  const entry = perKind.get(kind(file.name)) ?? { files: 0, passed: 0, failed: 0, skipped: 0 };
  entry.files += 1;
  for (const a of file.assertionResults) {
    if (a.status === 'passed') entry.passed += 1;
    else if (a.status === 'failed') entry.failed += 1;
    else entry.skipped += 1;
  }
  perKind.set(kind(file.name), entry);
}
const end = Math.max(report.startTime, ...report.testResults.map((f) => f.endTime ?? 0));

console.log('');
console.log('──────── test summary ────────');
for (const [name, e] of [...perKind.entries()].sort()) {
  console.log(`${name.padEnd(12)} ${String(e.files).padStart(3)} files  ${String(e.passed).padStart(4)} passed  ${String(e.failed).padStart(3)} failed  ${String(e.skipped).padStart(3)} skipped`);
}
console.log(
  `total        ${report.testResults.length} files, ${report.numTotalTests} tests: ${report.numPassedTests} passed, ` +
    `${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped/todo; ` +
    `${((end - report.startTime) / 1000).toFixed(1)} s`,
);
for (const file of report.testResults) {
  if (file.status === 'failed' && file.assertionResults.length === 0) console.log(`FAILED ${file.name}: ${file.message ?? ''}`);
  for (const a of file.assertionResults.filter((x) => x.status === 'failed')) {
    console.log(`FAILED ${a.fullName}\n  ${(a.failureMessages ?? []).join('\n  ').split('\n').slice(0, 6).join('\n  ')}`);
  }
}
console.log(report.success ? 'result: PASS' : 'result: FAIL');
process.exit(report.success ? 0 : 1);
