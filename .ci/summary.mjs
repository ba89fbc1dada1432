// Prints one plain closing line, "N passed, N failed", from the vitest, Playwright and
// consumer-app JSON reports, so the run's result can be read whatever the runners print.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
const seen = [];

if (existsSync(".ci/out/vitest.json")) {
  const r = JSON.parse(readFileSync(".ci/out/vitest.json", "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  seen.push("vitest");
}
if (existsSync("test-results/e2e-report.json")) {
  const r = JSON.parse(readFileSync("test-results/e2e-report.json", "utf8"));
  const s = r.stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  skipped += s.skipped ?? 0;
  seen.push("playwright");
}
if (existsSync(".ci/out/consumer.json")) {
  const r = JSON.parse(readFileSync(".ci/out/consumer.json", "utf8"));
  passed += r.passed ?? 0;
  failed += r.failed ?? 0;
  skipped += r.skipped ?? 0;
  seen.push("consumer apps");
}
if (seen.length === 0) {
  console.log("0 passed, 1 failed");
  console.error("No test report found: the test runners did not run.");
  process.exit(1);
}
console.log(`Tests (${seen.join(" + ")}):`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
