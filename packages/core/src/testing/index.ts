export { createTestDatabase, testServerUrl, type TestDatabase } from "@errand/db/testing";
export { insertTasks } from "./insert-tasks";
export { insertTaskInEveryState, TASK_STATE_FIXTURES, type TaskStateFixture } from "./insert-task-in-every-state";
export { enqueueRequest } from "./enqueue-request";
export {
  backendConformanceCases,
  describeBackendConformance,
  CONFORMANCE_TASK_NAME,
  type BackendConformanceCase,
  type BackendConformanceOptions,
  type TestRunnerFunctions,
} from "./backend-conformance";
