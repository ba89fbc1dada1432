import { task } from "@errand/core";

/** Returns the worker's Node version and pid, so the test knows which process ran it. */
export const add = task({ name: "consumer.add", queueName: "default" }, async (a, b) => ({
  sum: a + b,
  node: process.version,
  pid: process.pid,
}));

/** Sleeps `ms`, then returns its worker's pid: long enough to be RUNNING when SIGTERM arrives. */
export const slow = task({ name: "consumer.slow" }, async (ms) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { slept: ms, pid: process.pid };
});

/** Runs in its own worker thread (`isolate: "thread"`), loaded from the package's dist/. */
export const crunch = task({ name: "consumer.crunch", isolate: "thread" }, async (n) => {
  const { isMainThread, threadId } = await import("node:worker_threads");
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += i;
  return { sum, isMainThread, threadId };
});

/** The README's fan-out: one part. */
export const resize = task({ name: "consumer.resize" }, async (image) => ({ url: `/thumbs/${image}` }));

/** The README's fan-in: runs once every resize succeeded, with their return values in order. */
export const notify = task({ name: "consumer.notify", takesContext: true }, async (ctx, userId) => ({
  userId,
  urls: ctx.dependenciesOf(resize).map((d) => d.returnValue.url),
}));
