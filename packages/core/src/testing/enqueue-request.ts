import type { EnqueueRequest } from "../types";

/**
 * Test factory: an `EnqueueRequest` as `enqueue()` would hand a store, for a task due now
 * (`test.noop` on "default", priority 0, 25 attempts, no repeat), with `overrides` on top.
 *
 * @example
 * await store.taskInsert({ backend: "memory", tasks: [enqueueRequest({ priority: 5 })] });
 */
export function enqueueRequest(overrides: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return {
    taskName: "test.noop",
    args: [],
    queueName: "default",
    priority: 0,
    runAfter: null,
    maxAttempts: 25,
    repeat: null,
    repeatUntil: null,
    verboseName: null,
    creator: null,
    uniqueKey: null,
    dependsOn: [],
    ...overrides,
  };
}
