// Fails any test that leaves a worker running: it would claim the next test's tasks and
// keep connections open. The leaked workers are stopped first, so one leak fails one test.
import { afterEach, expect } from "vitest";
import { liveWorkers } from "../src/live-workers";

afterEach(async () => {
  const leaked = liveWorkers();
  if (leaked.length === 0) return;
  await Promise.all(leaked.map((worker) => worker.stop()));
  expect(
    leaked.map((worker) => worker.workerId),
    "workers this test started and did not stop",
  ).toEqual([]);
});
