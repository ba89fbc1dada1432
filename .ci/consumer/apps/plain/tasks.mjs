import { task } from "@errand/core";

/** Returns the worker's Node version and pid, so the test knows which process ran it. */
export const add = task({ name: "consumer.add", queueName: "default" }, async (a, b) => ({
  sum: a + b,
  node: process.version,
  pid: process.pid,
}));
