// Migrate, enqueue, run a --batch worker, read the result: the README's steps in plain Node.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ErrandError, InvalidTaskArgumentsError, closeBackends, configure } from "@errand/core";
import config from "./errand.config.mjs";
import { add, crunch, notify, resize } from "./tasks.mjs";

const npx = (...args) =>
  execFileSync("npx", ["--no-install", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

npx("errand", "migrate");
configure({ backends: config.backends });

const enqueued = await add.enqueue(2, 3);
assert.equal(enqueued.status, "PENDING");
assert.match(enqueued.id, /^[0-9a-f-]{36}$/);

// Arguments must be JSON: a Date is refused before anything is stored.
await assert.rejects(add.enqueue(new Date(), 1), (error) => {
  assert.ok(error instanceof InvalidTaskArgumentsError, `not an InvalidTaskArgumentsError: ${error}`);
  assert.ok(error instanceof ErrandError);
  assert.match(error.message, /args\[0\]/);
  return true;
});

// A unique key: the second enqueue stores nothing and answers the first task.
const keyed = await add.using({ uniqueKey: "consumer:once" }).enqueue(1, 2);
const again = await add.using({ uniqueKey: "consumer:once" }).enqueue(1, 2);
assert.equal(again.id, keyed.id);
assert.equal(again.deduplicated, true);
assert.equal(keyed.deduplicated, false);
// Cancelling a PENDING task fails it at once; cancelling it again is a clear INVALID_STATE.
await keyed.cancel();
assert.equal(keyed.status, "FAILED");
await assert.rejects(keyed.cancel(), (error) => error instanceof ErrandError && error.code === "INVALID_STATE");
// An unknown option is refused at run time too.
assert.throws(() => add.using({ uniqueky: "x" }), /using\(\): unknown option "uniqueky"; it takes .*uniqueKey/);
// The config's schedule, with its next runs in its time zone.
const schedules = npx("errand", "schedules");
assert.match(schedules, /consumer\.nightly {2}30 2 \* \* \* {2}\(Europe\/Paris\) {2}→ consumer\.add/);
assert.match(schedules, /next: \d{4}-\d\d-\d\d 02:30 (CET|CEST|GMT\+\d)/);

// The README's fan-out/fan-in: the notify task waits for the three resizes.
const resizes = await resize.enqueueMany([["a.jpg"], ["b.jpg"], ["c.jpg"]]);
const fanIn = await notify.using({ dependsOn: resizes }).enqueue(42);
assert.equal(fanIn.waitingOn, 3);
assert.deepEqual(
  fanIn.dependsOn,
  resizes.map((r) => r.id),
);
assert.throws(() => notify.using({ dependsOn: ["not-an-id"] }), /dependsOn\[0\] must be a TaskResult or a task id/);

const crunched = await crunch.enqueue(1000);
const workerLog = npx("errand", "worker", "--batch", "--log-level", "info");
assert.match(workerLog, /task finished/, "the worker logged no finished task");

const result = await add.getResult(enqueued.id);
assert.equal(result.status, "SUCCESSFUL", `status ${result.status}: ${JSON.stringify(result.errors)}`);
assert.equal(result.isFinished, true);
assert.equal(result.returnValue.sum, 5);
// The worker ran on the same Node as this script (PATH decides), in another process.
assert.equal(result.returnValue.node, process.version);
assert.notEqual(result.returnValue.pid, process.pid);
assert.equal(result.attempts, 1);

// An isolate: "thread" task ran in a worker thread of the worker process.
const crunchResult = await crunch.getResult(crunched.id);
assert.equal(crunchResult.status, "SUCCESSFUL", `crunch: ${JSON.stringify(crunchResult.errors)}`);
assert.equal(crunchResult.returnValue.sum, 500500);
assert.equal(crunchResult.returnValue.isMainThread, false);

const notified = await notify.getResult(fanIn.id);
assert.equal(notified.status, "SUCCESSFUL", `notify: ${JSON.stringify(notified.errors)}`);
assert.deepEqual(notified.returnValue, { userId: 42, urls: ["/thumbs/a.jpg", "/thumbs/b.jpg", "/thumbs/c.jpg"] });
assert.equal(notified.waitingOn, 0);

// Worker-only internals live in @errand/core/internal, not in the root.
const root = await import("@errand/core");
const internal = await import("@errand/core/internal");
for (const name of ["runTask", "getRegisteredTask", "registeredTasks", "queries"]) {
  assert.ok(name in internal, `@errand/core/internal has no ${name}`);
  assert.ok(!(name in root), `@errand/core exports the internal ${name}`);
}
assert.equal(internal.getRegisteredTask("consumer.add")?.name, "consumer.add");

await closeBackends();
console.log(
  `SCENARIO_RESULT ${JSON.stringify({ id: result.id, status: result.status, returnValue: result.returnValue })}`,
);
