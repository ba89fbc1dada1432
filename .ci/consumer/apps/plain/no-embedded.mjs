// With no database configured and @errand/embedded not installed, enqueue says in one line
// what to install.
import assert from "node:assert/strict";
import { closeBackends, configure, task } from "@errand/core";

delete process.env.DATABASE_URL;
configure({ backends: { default: { backend: "database" } } });
const noop = task({ name: "consumer.noop" }, async () => null);
await assert.rejects(noop.enqueue(), (error) => {
  assert.equal(error.code, "INVALID_CONFIG", `code ${error.code}: ${error.message}`);
  assert.match(error.message, /npm install -D @errand\/embedded/);
  assert.doesNotMatch(error.message, /\n/);
  return true;
});
await closeBackends();
console.log("SCENARIO_RESULT embedded-missing-message-ok");
