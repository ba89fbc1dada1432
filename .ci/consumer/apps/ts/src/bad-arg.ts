// Must NOT compile: each "expect-error TSnnnn" marks the next line, which must fail with that
// code, and no other line may fail.
import { add, greet } from "./tasks.js";
import { typedClient } from "./good.js";

export async function wrongArguments(): Promise<void> {
  // expect-error TS2345
  await add.enqueue("1", 2);
  // expect-error TS2345
  await greet.enqueue(42);
  // expect-error TS2554
  await add.enqueue(1);
  // expect-error TS2322
  await add.enqueueMany([[1, "2"]]);
  // expect-error TS2322
  await typedClient.tasks.consumer.add.enqueue.mutate({ args: ["1", 2] });
  // expect-error TS2339
  await typedClient.tasks.consumer.missing.enqueue.mutate({ args: [] });
}
