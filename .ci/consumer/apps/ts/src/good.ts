// Must compile with no error (skipLibCheck: false checks every .d.ts the packages ship).
import { closeBackends, configure, defineConfig, type TaskResult, type TaskReturn } from "@errand/core";
import { migrate } from "@errand/db";
import { createTaskRouter, type AuthorizeRequest, type TaskRecordJSON } from "@errand/trpc";
import { Worker, createLogger, installSignalHandlers } from "@errand/worker";
import { createTRPCClient, httpLink } from "@trpc/client";
import { add, greet } from "./tasks.js";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const config = defineConfig({
  backends: { default: { backend: "database", url: process.env.DATABASE_URL } },
  tasks: ["./tasks.ts"],
});

export const tasksRouter = createTaskRouter<{ user: string | null }>({
  tasks: [add, greet],
  authorize: ({ ctx }) => ctx.user !== null,
});
export type TasksRouter = typeof tasksRouter;
const client = createTRPCClient<TasksRouter>({ links: [httpLink({ url: "http://127.0.0.1:1/trpc" })] });

// The context typed on authorize keeps the tasks' types: tasks.<name as a path> is typed.
export const typedRouter = createTaskRouter({
  tasks: [add, greet],
  authorize: ({ ctx }: AuthorizeRequest<{ user: string | null }>) => ctx.user !== null,
});
export const typedClient = createTRPCClient<typeof typedRouter>({
  links: [httpLink({ url: "http://127.0.0.1:1/trpc" })],
});
export async function typedProcedures(): Promise<number | undefined> {
  const record = await typedClient.tasks.consumer.add.enqueue.mutate({ args: [1, 2], options: { delay: 5 } });
  const read = await typedClient.tasks.consumer.add.getResult.query({ id: record.id });
  const exactReturn: Equals<typeof read.returnValue, { sum: number; label: string } | undefined> = true;
  console.log(exactReturn);
  return read.returnValue?.sum;
}

export async function main(): Promise<void> {
  configure({ backends: config.backends });
  const enqueued = await add.enqueue(1, 2);
  const id: string = enqueued.id;
  await add.using({ priority: 10, delay: { minutes: 5 } }).enqueue(3, 4);
  await add.enqueueMany([
    [1, 2],
    [3, 4],
  ]);
  const result = await add.getResult(id);
  await result.refresh();
  const value: { sum: number; label: string } = result.returnValue;
  const exact: Equals<typeof result.returnValue, { sum: number; label: string }> = true;
  const sameAsTaskReturn: Equals<TaskReturn<typeof add>, { sum: number; label: string }> = true;
  const typed: TaskResult<{ sum: number; label: string }> = result;
  const greeting: string = (await greet.getResult(id)).returnValue;
  console.log(value.sum, exact, sameAsTaskReturn, typed.status, greeting, migrate.length);

  const record = await client.enqueue.mutate({ task: "consumer.add", args: [1, 2], options: { priority: 5 } });
  const recordStatus: "PENDING" | "RUNNING" | "SUCCESSFUL" | "FAILED" = record.status;
  const fetched: TaskRecordJSON = await client.getResult.query({ id: record.id });
  const narrowed = fetched as TaskRecordJSON<TaskReturn<typeof add>>;
  console.log(recordStatus, narrowed.returnValue?.sum);

  const worker = new Worker({ queues: "*", concurrency: 2, batch: true, logger: createLogger({ level: "warn" }) });
  const remove = installSignalHandlers(worker, createLogger());
  await worker.start();
  await worker.wait();
  remove();
  await closeBackends();
}
