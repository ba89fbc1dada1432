/**
 * `@errand/db/testing`: a migrated database per test file, cloned from a template built once
 * per schema version. `@errand/core/testing` re-exports it with the task factories.
 */
export { createTestDatabase, testServerUrl, type TestDatabase } from "./create-test-database";
