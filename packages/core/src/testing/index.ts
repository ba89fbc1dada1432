export { createTestDatabase, testServerUrl, type TestDatabase } from "./create-test-database";
export { insertTasks } from "./insert-tasks";
