export { createTestDatabase, testServerUrl, type TestDatabase } from "./create-test-database";
