import assert from "node:assert/strict";
import type { Backend } from "../backends/backend";
import { task } from "../task/task";
import type { EnqueueRequest, TaskRecord } from "../types";
import { enqueueRequest } from "./enqueue-request";

/** The task the suite enqueues: returns its argument (a backend that runs tasks can). */
export const CONFORMANCE_TASK_NAME = "errand.conformance.echo";

/** How the conformance suite gets the backend under test. */
export interface BackendConformanceOptions {
  /**
   * Makes a backend, configured and ready (one per case; the suite closes it). Usually
   * `() => getBackend("yours")` after `configure()`; closing a configured backend is fine,
   * it reconnects on next use.
   */
  create: () => Backend | Promise<Backend>;
  /** The backend runs a task as it is enqueued (like "immediate"), so it may not come back PENDING. */
  runsAtEnqueue?: boolean | undefined;
}

/** One case of the suite: a name and a function that throws (an `AssertionError`) when it fails. */
export interface BackendConformanceCase {
  name: string;
  run: () => Promise<void>;
}

/** The three functions of a test runner the suite needs (vitest, jest, mocha, `node:test`). */
export interface TestRunnerFunctions {
  describe: (name: string, fn: () => void) => unknown;
  it: (name: string, fn: () => Promise<void>) => unknown;
}

let registered = false;
function ensureConformanceTask(): void {
  if (registered) return;
  // Defining the same task again is allowed (a second copy of this module), so this is safe.
  task({ name: CONFORMANCE_TASK_NAME }, async (value: unknown) => value);
  registered = true;
}

function request(overrides: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return enqueueRequest({ taskName: CONFORMANCE_TASK_NAME, args: [{ n: 1 }], ...overrides });
}

function assertErrandCode(error: unknown, code: string): true {
  assert.equal(
    (error as { code?: unknown }).code,
    code,
    `expected an ErrandError with code ${code}, got ${String(error)}`,
  );
  return true;
}

/**
 * What every backend must do, as plain cases, for any test runner: run each case's `run()`
 * and let it throw. Cases read the backend's capability flags: a backend without
 * `supportsGetResult` must refuse `getResult` with `NOT_SUPPORTED`, one with it must find
 * every task it stored, and so on.
 *
 * @example
 * // with node:test
 * for (const c of backendConformanceCases({ create: () => getBackend("jobs") })) test(c.name, c.run);
 */
export function backendConformanceCases(options: BackendConformanceOptions): BackendConformanceCase[] {
  async function withBackend(fn: (backend: Backend) => Promise<void>): Promise<void> {
    ensureConformanceTask();
    const backend = await options.create();
    try {
      await fn(backend);
    } finally {
      await backend.close();
    }
  }
  function assertStored(record: TaskRecord, asked: EnqueueRequest, backend: Backend): void {
    assert.equal(typeof record.id, "string", "a record has a string id");
    assert.ok(record.id.length > 0, "a record's id is not empty");
    assert.equal(record.taskName, asked.taskName);
    assert.deepEqual(record.args, asked.args);
    assert.equal(record.queueName, asked.queueName);
    assert.ok(record.enqueuedAt instanceof Date, "enqueuedAt is a Date");
    if (backend.supportsPriority)
      assert.equal(record.priority, asked.priority, "a backend that supports priority stores it");
    if (!options.runsAtEnqueue) assert.equal(record.status, "PENDING", "a task just enqueued is PENDING");
  }
  const cases: BackendConformanceCase[] = [
    {
      name: "declares its alias, kind and capabilities",
      run: () =>
        withBackend(async (backend) => {
          assert.equal(typeof backend.alias, "string");
          assert.ok(backend.alias.length > 0, "alias is not empty");
          assert.equal(typeof backend.kind, "string");
          for (const flag of ["supportsDefer", "supportsPriority", "supportsGetResult", "supportsAsyncTask"] as const) {
            assert.equal(typeof backend[flag], "boolean", `${flag} is a boolean`);
          }
          assert.ok(
            backend.allowedQueues === null ||
              (Array.isArray(backend.allowedQueues) && backend.allowedQueues.every((q) => typeof q === "string")),
            "queues is null or a list of names",
          );
        }),
    },
    {
      name: "enqueue returns the stored record",
      run: () =>
        withBackend(async (backend) => {
          const asked = request({
            args: [{ nested: { list: [1, "two", null, true] } }],
            priority: backend.supportsPriority ? 7 : 0,
            queueName: backend.allowedQueues?.[0] ?? "default",
          });
          assertStored(await backend.enqueue(asked), asked, backend);
        }),
    },
    {
      name: "enqueueMany returns one record per request, in order, with distinct ids",
      run: () =>
        withBackend(async (backend) => {
          const asked = [1, 2, 3].map((n) =>
            request({ args: [n], queueName: backend.allowedQueues?.[0] ?? "default" }),
          );
          const records = await backend.enqueueMany(asked);
          assert.equal(records.length, 3);
          records.forEach((record, i) => assertStored(record, asked[i]!, backend));
          assert.equal(new Set(records.map((r) => r.id)).size, 3, "ids are distinct");
          assert.deepEqual(await backend.enqueueMany([]), [], "an empty batch stores nothing");
        }),
    },
    {
      name: "getRecord and getResult find a task by id (or refuse with NOT_SUPPORTED without supportsGetResult)",
      run: () =>
        withBackend(async (backend) => {
          const asked = request({ args: ["find me"], queueName: backend.allowedQueues?.[0] ?? "default" });
          const stored = await backend.enqueue(asked);
          if (!backend.supportsGetResult) {
            await assert.rejects(backend.getResult(stored.id), (e) => assertErrandCode(e, "NOT_SUPPORTED"));
            return;
          }
          const record = await backend.getRecord(stored.id);
          assert.equal(record.id, stored.id);
          assert.deepEqual(record.args, ["find me"]);
          const result = await backend.getResult(stored.id);
          assert.equal(result.id, stored.id);
          assert.equal(result.taskName, CONFORMANCE_TASK_NAME);
          assert.deepEqual(result.args, ["find me"]);
        }),
    },
    {
      name: "an unknown or malformed id is TaskResultDoesNotExist",
      run: () =>
        withBackend(async (backend) => {
          if (!backend.supportsGetResult) {
            await assert.rejects(backend.getResult("00000000-0000-4000-8000-000000000000"), (e) =>
              assertErrandCode(e, "NOT_SUPPORTED"),
            );
            return;
          }
          for (const id of ["00000000-0000-4000-8000-000000000000", "not-an-id"]) {
            await assert.rejects(backend.getRecord(id), (e) => assertErrandCode(e, "TASK_RESULT_DOES_NOT_EXIST"));
            await assert.rejects(backend.getResult(id), (e) => assertErrandCode(e, "TASK_RESULT_DOES_NOT_EXIST"));
          }
        }),
    },
    {
      name: "keeps runAfter when it supports defer (due now otherwise)",
      run: () =>
        withBackend(async (backend) => {
          const queueName = backend.allowedQueues?.[0] ?? "default";
          if (!backend.supportsDefer) {
            const before = Date.now();
            const record = await backend.enqueue(request({ queueName }));
            assert.ok(record.runAfter.getTime() <= Date.now() + 1000, "a backend that cannot defer runs tasks now");
            assert.ok(record.runAfter.getTime() >= before - 60_000, "runAfter is about now");
            return;
          }
          const runAfter = new Date(Date.now() + 3_600_000);
          runAfter.setMilliseconds(0);
          const record = await backend.enqueue(request({ runAfter, queueName }));
          assert.equal(record.runAfter.getTime(), runAfter.getTime());
          if (backend.supportsGetResult) {
            assert.equal((await backend.getRecord(record.id)).runAfter.getTime(), runAfter.getTime());
          }
        }),
    },
    {
      name: "can be used again after close()",
      run: () =>
        withBackend(async (backend) => {
          await backend.close();
          const asked = request({ queueName: backend.allowedQueues?.[0] ?? "default" });
          assertStored(await backend.enqueue(asked), asked, backend);
        }),
    },
  ];
  return cases;
}

/**
 * Registers the conformance suite with your test runner's `describe` and `it`.
 *
 * @example
 * import { describe, it } from "vitest";
 * import { describeBackendConformance } from "@errand/core/testing";
 * configure({ backends: { jobs: { backend: MyBackend } } });
 * describeBackendConformance("MyBackend", { create: () => getBackend("jobs") }, { describe, it });
 */
export function describeBackendConformance(
  name: string,
  options: BackendConformanceOptions,
  runner: TestRunnerFunctions,
): void {
  runner.describe(`${name} conforms to Errand's Backend`, () => {
    for (const c of backendConformanceCases(options)) runner.it(c.name, c.run);
  });
}
