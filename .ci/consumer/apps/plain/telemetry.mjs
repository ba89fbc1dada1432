// Without @opentelemetry/api or prom-client installed: Errand imports, enqueues and stores no
// trace context; serving /metrics says which package to install.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { closeBackends, configure, createMetricsHandler } from "@errand/core";
import "@errand/worker";
import config from "./errand.config.mjs";
import { add } from "./tasks.mjs";

const require = createRequire(import.meta.url);
for (const name of ["@opentelemetry/api", "prom-client"]) {
  assert.throws(() => require.resolve(name), /Cannot find module/, `${name} is installed in the plain app`);
}

configure({ backends: config.backends });
try {
  const enqueued = await add.enqueue(1, 1);
  assert.equal(enqueued.status, "PENDING");
  assert.equal(enqueued.toJSON().traceparent, null);

  const response = await createMetricsHandler()(new Request("http://localhost/metrics"));
  assert.equal(response.status, 500);
  assert.match(await response.text(), /npm install prom-client/);
  console.log(`SCENARIO_RESULT ${JSON.stringify({ traceparent: null, metrics: response.status })}`);
} finally {
  await closeBackends();
}
