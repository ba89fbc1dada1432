/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- the
   expected compile errors below call procedures that do not exist, on purpose */
import { describe, expectTypeOf, it } from "vitest";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { task } from "@errand/core";
import { createTaskRouter, type TaskRecordJSON } from "../src/index";

const sendWelcomeEmail = task(
  { name: "accounts.sendWelcomeEmail", queueName: "email" },
  async (userId: number, email: string) => ({ sent: true, userId, email }),
);
const buildReport = task("reports.build", async (month: string) => ({ url: `/r/${month}`, pages: 3 }));
const unlisted = task("accounts.secret", async () => "no");

const router = createTaskRouter({
  tasks: [sendWelcomeEmail, { task: buildReport, schema: { safeParse: (v) => ({ success: true, data: v }) } }],
  authorize: () => true,
});
const client = createTRPCClient<typeof router>({ links: [httpBatchLink({ url: "http://localhost/api/trpc" })] });

describe("tasks.<name as a path>", () => {
  it("types args from the task's function and returnValue from its return type", () => {
    expectTypeOf(client.tasks.accounts.sendWelcomeEmail.enqueue.mutate)
      .parameter(0)
      .toHaveProperty("args")
      .toEqualTypeOf<[userId: number, email: string]>();
    type Enqueued = Awaited<ReturnType<typeof client.tasks.accounts.sendWelcomeEmail.enqueue.mutate>>;
    expectTypeOf<Enqueued["returnValue"]>().toEqualTypeOf<
      { sent: boolean; userId: number; email: string } | undefined
    >();
    type Report = Awaited<ReturnType<typeof client.tasks.reports.build.getResult.query>>;
    expectTypeOf<Report["returnValue"]>().toEqualTypeOf<{ url: string; pages: number } | undefined>();
    expectTypeOf<Report["status"]>().toEqualTypeOf<TaskRecordJSON["status"]>();
  });

  it("refuses a wrong argument and an unknown task at compile time", () => {
    const compileOnly = () => {
      void client.tasks.accounts.sendWelcomeEmail.enqueue.mutate({ args: [42, "a@b.c"], options: { delay: 5 } });
      // @ts-expect-error userId is a number
      void client.tasks.accounts.sendWelcomeEmail.enqueue.mutate({ args: ["42", "a@b.c"] });
      // @ts-expect-error one argument missing
      void client.tasks.accounts.sendWelcomeEmail.enqueue.mutate({ args: [42] });
      // @ts-expect-error not listed in createTaskRouter's tasks
      void client.tasks.accounts.secret.enqueue.mutate({ args: [] });
      // @ts-expect-error no such task at all
      void client.tasks.reports.missing.getResult.query({ id: "x" });
      void unlisted;
    };
    expectTypeOf(compileOnly).toBeFunction();
  });

  it("keeps the generic procedures", () => {
    expectTypeOf(router).toHaveProperty("tasks");
    expectTypeOf(client.enqueue.mutate).parameter(0).toHaveProperty("task").toEqualTypeOf<string>();
    // Checked by core's rules at run time, typed as using() takes them.
    const options = expectTypeOf(client.enqueue.mutate).parameter(0).toHaveProperty("options").exclude<undefined>();
    options.toHaveProperty("priority").toEqualTypeOf<number | undefined>();
    options.toHaveProperty("uniqueKey").toEqualTypeOf<string | undefined>();
    type ListInput = Exclude<Parameters<typeof client.list.query>[0], undefined | void>;
    expectTypeOf<ListInput["queueName"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ListInput["taskName"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf(client.stats.query).toBeFunction();
  });
});
