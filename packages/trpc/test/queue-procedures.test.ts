import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { configure, closeBackends, task } from "@errand/core";
import { queries } from "@errand/core/internal";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";
import { createTaskRouter, type AuthorizeRequest, type QueueJSON, type TaskRouter } from "../src/index";

interface Ctx {
  user: { id: string; admin: boolean } | null;
}

const mail = task({ name: "trpc-queues.mail", queueName: "trpc-mail" }, async (to: string) => to);
const sync = task({ name: "trpc-queues.sync", queueName: "trpc-sync" }, async (id: number) => id);

const asked: AuthorizeRequest<Ctx>[] = [];
const router = createTaskRouter({
  tasks: [mail, sync],
  // Members may look at queues; only admins may pause, resume, or act in bulk.
  authorize: (request: AuthorizeRequest<Ctx>) => {
    asked.push(request);
    if (!request.ctx.user) return false;
    return request.action === "queues" || request.ctx.user.admin;
  },
});

const admin = router.createCaller({ user: { id: "1", admin: true } });
const member = router.createCaller({ user: { id: "2", admin: false } });

let tdb: TestDatabase;

async function expectCode(promise: Promise<unknown>, code: TRPCError["code"], message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  if (message) expect((error as TRPCError).message).toMatch(message);
}

/** Claims every due task of the queue as a worker would, then fails it for good. */
async function runAndFail(queueName: string): Promise<void> {
  const claimed = await queries.taskClaimBatch(tdb.db, {
    queues: [queueName],
    limit: 100,
    workerId: "test-worker",
    leaseSeconds: 60,
  });
  await queries.taskFail(tdb.db, {
    workerId: "test-worker",
    failures: claimed.map((row) => ({
      id: row.id,
      error: {
        exceptionClass: "Error",
        message: "boom",
        traceback: "Error: boom\n    at test",
        attempt: row.attempts,
        failedAt: new Date().toISOString(),
      },
      retryDelay: null,
    })),
  });
}

async function statuses(queueName: string): Promise<Record<string, number>> {
  const rows = await tdb.db
    .selectFrom("errand_tasks")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .where("queue_name", "=", queueName)
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

function queue(list: QueueJSON[], name: string): QueueJSON | undefined {
  return list.find((q) => q.name === name);
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({
    backends: { default: { backend: "database", url: tdb.url } },
    queues: { "trpc-mail": { concurrency: 3, rateLimit: { limit: 10, periodSeconds: 60 } } },
  });
});

afterAll(async () => {
  await closeBackends();
  await tdb.drop();
});

beforeEach(async () => {
  await tdb.db.deleteFrom("errand_tasks").execute();
  await admin.resumeQueue({ name: "trpc-mail" });
  asked.length = 0;
});

describe("queues", () => {
  it("lists each queue with its depth, oldest due task and configured limits", async () => {
    await mail.enqueue("a@example.com");
    await mail.enqueue("b@example.com");
    await sync.enqueue(1);
    const list = await member.queues();
    expectTypeOf(list).toEqualTypeOf<QueueJSON[]>();
    expect(queue(list, "trpc-mail")).toMatchObject({
      name: "trpc-mail",
      paused: false,
      pending: 2,
      running: 0,
      failed: 0,
      concurrency: 3,
      rateLimit: { limit: 10, periodSeconds: 60 },
    });
    const oldest = queue(list, "trpc-mail")!.oldestDueAt;
    expect(typeof oldest).toBe("string");
    expect(new Date(oldest!).toISOString()).toBe(oldest);
    expect(queue(list, "trpc-sync")).toMatchObject({ pending: 1, concurrency: null, rateLimit: null });
    expect(asked.at(-1)).toMatchObject({ action: "queues" });
  });
});

describe("pauseQueue and resumeQueue", () => {
  it("pause persists in the database and holds the queue's tasks PENDING; resume lets them be claimed", async () => {
    const pending = await mail.enqueue("held@example.com");
    expect(await admin.pauseQueue({ name: "trpc-mail" })).toEqual({ name: "trpc-mail", paused: true });
    expect(asked.at(-1)).toMatchObject({ action: "pauseQueue", queueName: "trpc-mail" });
    expect(queue(await member.queues(), "trpc-mail")?.paused).toBe(true);

    // A worker asking for every queue gets nothing of the paused one.
    const claimed = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 10, workerId: "w", leaseSeconds: 60 });
    expect(claimed.map((row) => row.id)).not.toContain(pending.id);

    expect(await admin.resumeQueue({ name: "trpc-mail" })).toEqual({ name: "trpc-mail", paused: false });
    expect(queue(await member.queues(), "trpc-mail")?.paused).toBe(false);
    const after = await queries.taskClaimBatch(tdb.db, { queues: "*", limit: 10, workerId: "w", leaseSeconds: 60 });
    expect(after.map((row) => row.id)).toContain(pending.id);
  });

  it("refuses a caller authorize refuses, and changes nothing", async () => {
    await expectCode(member.pauseQueue({ name: "trpc-mail" }), "FORBIDDEN", /pauseQueue/);
    // Refused on the first ask, before its input is read: the queue name is never seen.
    expect(asked.at(-1)).toEqual({ ctx: { user: { id: "2", admin: false } }, action: "pauseQueue", beforeInput: true });
    expect(queue(await admin.queues(), "trpc-mail")?.paused ?? false).toBe(false);
    await expectCode(member.resumeQueue({ name: "trpc-mail" }), "FORBIDDEN", /resumeQueue/);
    await expectCode(router.createCaller({ user: null }).queues(), "FORBIDDEN", /queues/);
  });

  it("answers a missing, empty or too long name with BAD_REQUEST and a readable message", async () => {
    // In the words of backend.pauseQueue() and using({ queueName }), whose rule it shares.
    const rule = "must be a string of 1 to 32 characters";
    await expectCode(admin.pauseQueue({ name: "" }), "BAD_REQUEST", new RegExp(`^name: ${rule}, got ""$`));
    await expectCode(admin.pauseQueue({ name: " " }), "BAD_REQUEST", new RegExp(`^name: ${rule}, got ""$`));
    const long = "q".repeat(33);
    await expectCode(admin.pauseQueue({ name: long }), "BAD_REQUEST", new RegExp(`^name: ${rule}, got "${long}"$`));
    await expectCode(admin.retryMany({ queueName: long }), "BAD_REQUEST", new RegExp(`^queueName: ${rule}`));
    await expectCode(admin.list({ queueName: "" }), "BAD_REQUEST", new RegExp(`^queueName: ${rule}`));
    await expectCode(admin.resumeQueue({} as { name: string }), "BAD_REQUEST", /^name: /);
    await expectCode(
      admin.pauseQueue({ name: "x", force: true } as { name: string }),
      "BAD_REQUEST",
      /Unrecognized key: "force"/,
    );
  });
});

describe("retryMany and cancelMany", () => {
  it("retryMany retries the FAILED tasks the filter matches and answers how many", async () => {
    await mail.enqueue("1@example.com");
    await mail.enqueue("2@example.com");
    await sync.enqueue(7);
    await runAndFail("trpc-mail");
    await runAndFail("trpc-sync");
    expect(await statuses("trpc-mail")).toEqual({ FAILED: 2 });

    expect(await admin.retryMany({ queueName: "trpc-mail" })).toEqual({ count: 2 });
    expect(asked.at(-1)).toMatchObject({ action: "retryMany", queueName: "trpc-mail" });
    expect(await statuses("trpc-mail")).toEqual({ PENDING: 2 });
    expect(await statuses("trpc-sync")).toEqual({ FAILED: 1 });
    // Nothing left to retry there.
    expect(await admin.retryMany({ status: "FAILED", queueName: "trpc-mail" })).toEqual({ count: 0 });
    expect(await admin.retryMany({ taskName: "trpc-queues.sync" })).toEqual({ count: 1 });
  });

  it("cancelMany cancels the PENDING tasks the filter matches and answers how many", async () => {
    await mail.enqueue("1@example.com");
    await mail.enqueue("2@example.com");
    await sync.enqueue(8);
    expect(await admin.cancelMany({ taskName: "trpc-queues.mail" })).toEqual({ count: 2 });
    expect(asked.at(-1)).toMatchObject({ action: "cancelMany", taskName: "trpc-queues.mail" });
    expect(await statuses("trpc-mail")).toEqual({ FAILED: 2 });
    expect(await statuses("trpc-sync")).toEqual({ PENDING: 1 });
  });

  it("refuses a caller authorize refuses, and changes nothing", async () => {
    await mail.enqueue("1@example.com");
    await runAndFail("trpc-mail");
    await sync.enqueue(9);
    await expectCode(member.retryMany({ queueName: "trpc-mail" }), "FORBIDDEN", /retryMany/);
    await expectCode(member.cancelMany(), "FORBIDDEN", /cancelMany/);
    expect(await statuses("trpc-mail")).toEqual({ FAILED: 1 });
    expect(await statuses("trpc-sync")).toEqual({ PENDING: 1 });
  });

  it("answers a wrong status, a bad date or an unknown key with BAD_REQUEST, and changes nothing", async () => {
    await sync.enqueue(10);
    await expectCode(
      admin.retryMany({ status: "PENDING" } as unknown as { status: "FAILED" }),
      "BAD_REQUEST",
      /^status: status must be "FAILED"/,
    );
    await expectCode(
      admin.cancelMany({ status: "SUCCESSFUL" } as unknown as { status: "PENDING" }),
      "BAD_REQUEST",
      /^status: status must be "PENDING"/,
    );
    await expectCode(
      admin.cancelMany({ enqueuedBefore: "yesterday" }),
      "BAD_REQUEST",
      /^enqueuedBefore: enqueuedBefore must be an ISO 8601 date-time$/,
    );
    await expectCode(
      admin.cancelMany({ queue: "trpc-sync" } as unknown as { queueName: string }),
      "BAD_REQUEST",
      /Unrecognized key: "queue"/,
    );
    expect(await statuses("trpc-sync")).toEqual({ PENDING: 1 });
  });

  it("honours enqueuedBefore", async () => {
    await sync.enqueue(11);
    expect(await admin.cancelMany({ enqueuedBefore: new Date(Date.now() - 3_600_000).toISOString() })).toEqual({
      count: 0,
    });
    expect(await admin.cancelMany({ enqueuedBefore: new Date(Date.now() + 60_000).toISOString() })).toEqual({
      count: 1,
    });
  });
});

describe("over HTTP (fetch adapter)", () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: req.method === "GET" ? undefined : Buffer.concat(chunks),
      }),
      router,
      createContext: () => ({
        user: req.headers.authorization === "Bearer admin" ? { id: "1", admin: true } : null,
      }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  }

  const client = (token: string | null) =>
    createTRPCClient<TaskRouter>({
      links: [httpBatchLink({ url, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
    });

  it("pauses, lists, resumes and acts in bulk", async () => {
    const api = client("admin");
    await mail.enqueue("http@example.com");
    await api.pauseQueue.mutate({ name: "trpc-mail" });
    const list = await api.queues.query();
    expect(queue(list, "trpc-mail")).toMatchObject({ paused: true, pending: 1, concurrency: 3 });
    await api.resumeQueue.mutate({ name: "trpc-mail" });
    expect((await api.cancelMany.mutate({ queueName: "trpc-mail" })).count).toBe(1);
    expect((await api.retryMany.mutate({ queueName: "trpc-mail" })).count).toBe(1);
  });

  it("answers bad input with 400 and a readable message, and a refused caller with 403", async () => {
    const bad = await client("admin")
      .pauseQueue.mutate({ name: "" })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TRPCClientError);
    expect((bad as TRPCClientError<TaskRouter>).data?.httpStatus).toBe(400);
    expect((bad as TRPCClientError<TaskRouter>).message).toBe('name: must be a string of 1 to 32 characters, got ""');
    const forbidden = await client(null)
      .retryMany.mutate({})
      .catch((e: unknown) => e);
    expect((forbidden as TRPCClientError<TaskRouter>).data?.httpStatus).toBe(403);
  });
});
