"use server";

import { getBackend, transaction } from "@errand/core";
import type { Kysely } from "kysely";
import { z } from "zod";
import { add, buildReport, chargeCard, getDb, notifyAlbumReady, resizeImage, sendWelcomeEmail } from "@/lib/errand";
import { countSignups, ensureSignupsTable, type DemoTables } from "@/lib/demo-signups";

/** What every demo action answers: the task to follow, if one was enqueued. */
export type DemoActionResult =
  { ok: true; taskId: string | null; label: string; message: string } | { ok: false; label: string; message: string };

function failure(label: string, error: unknown): DemoActionResult {
  return { ok: false, label, message: error instanceof Error ? error.message : String(error) };
}

/** `task.enqueue()` straight from a server action. */
export async function enqueueAdd(): Promise<DemoActionResult> {
  const label = "Add two numbers";
  try {
    const a = Math.floor(Math.random() * 100);
    const b = Math.floor(Math.random() * 100);
    const result = await add.enqueue(a, b);
    return { ok: true, taskId: result.id, label, message: `Enqueued demo.add(${a}, ${b}).` };
  } catch (error) {
    return failure(label, error);
  }
}

async function signupsDb() {
  // The demo's own table lives beside Errand's in the same database.
  const db = (await getDb()) as unknown as Kysely<DemoTables>;
  await ensureSignupsTable(db);
  return db;
}

/**
 * Inserts a sign-up and, with `transaction.onCommit`, enqueues its welcome email: the task
 * exists only once the row is committed, so a worker never looks for a missing row.
 */
export async function signUpAndWelcome(): Promise<DemoActionResult> {
  const label = "Sign up, then welcome email";
  try {
    const db = await signupsDb();
    const email = `user${Date.now().toString(36)}@example.com`;
    let taskId: string | null = null;
    await transaction.atomic(db, async (trx) => {
      const row = await trx.insertInto("demo_signups").values({ email }).returning("id").executeTakeFirstOrThrow();
      void transaction.onCommit(async () => {
        taskId = (await sendWelcomeEmail.enqueue(row.id, email)).id;
      });
    });
    return {
      ok: true,
      taskId,
      label,
      message: `Committed sign-up ${email}; its welcome email was enqueued after COMMIT.`,
    };
  } catch (error) {
    return failure(label, error);
  }
}

/** The same, but the transaction fails after the insert: no row, and no task either. */
export async function signUpAndRollBack(): Promise<DemoActionResult> {
  const label = "Sign up that rolls back";
  try {
    const db = await signupsDb();
    const signupsBefore = await countSignups(db);
    const started = new Date();
    await transaction
      .atomic(db, async (trx) => {
        const row = await trx
          .insertInto("demo_signups")
          .values({ email: "rolled-back@example.com" })
          .returning("id")
          .executeTakeFirstOrThrow();
        void transaction.onCommit(() => sendWelcomeEmail.enqueue(row.id, "rolled-back@example.com"));
        throw new Error("Card declined: the sign-up is rolled back");
      })
      .catch(() => undefined);
    const signupsAfter = await countSignups(db);
    const emailsAfter = await welcomeEmailsSince(started);
    return {
      ok: true,
      taskId: null,
      label,
      message: `Rolled back: ${signupsAfter - signupsBefore} sign-ups stored, ${emailsAfter} tasks enqueued.`,
    };
  } catch (error) {
    return failure(label, error);
  }
}

/** Welcome emails enqueued since `since`, read through Errand's backend. */
async function welcomeEmailsSince(since: Date): Promise<number> {
  const page = await getBackend("default").list({ taskName: sendWelcomeEmail.name, limit: 200 });
  return page.items.filter((t) => t.enqueuedAt.getTime() >= since.getTime()).length;
}

/** A task that fails twice and then succeeds (or fails every attempt). */
export async function enqueueChargeCard(failTimes: number): Promise<DemoActionResult> {
  const label = failTimes >= 3 ? "Charge a card (always fails)" : "Charge a card (fails twice)";
  try {
    const result = await chargeCard.enqueue(Math.min(Math.max(0, Math.floor(failTimes)), 99));
    return {
      ok: true,
      taskId: result.id,
      label,
      message: `Enqueued demo.chargeCard; it fails ${failTimes >= 3 ? "every attempt" : `${failTimes} times, then succeeds`}.`,
    };
  } catch (error) {
    return failure(label, error);
  }
}

/** A slow task that reports progress page by page. */
export async function enqueueReport(): Promise<DemoActionResult> {
  const label = "Build a 12-page report";
  try {
    const result = await buildReport.enqueue(12);
    return { ok: true, taskId: result.id, label, message: "Enqueued demo.buildReport(12): watch its progress." };
  } catch (error) {
    return failure(label, error);
  }
}

/**
 * `using({ uniqueKey })`: while the monthly report is PENDING or RUNNING, pressing again
 * stores nothing and answers the same task (`deduplicated`).
 */
export async function enqueueUniqueReport(): Promise<DemoActionResult> {
  const label = "Monthly report (unique key)";
  try {
    const result = await buildReport.using({ uniqueKey: "report:monthly" }).enqueue(20);
    return {
      ok: true,
      taskId: result.id,
      label,
      message: result.deduplicated
        ? `Deduplicated: task ${result.id.slice(0, 8)} with key "report:monthly" is still ${result.status}, so nothing was stored.`
        : `Enqueued demo.buildReport(20) with unique key "report:monthly".`,
    };
  } catch (error) {
    return failure(label, error);
  }
}

/** A long report, to cancel while it runs. */
export async function enqueueLongReport(): Promise<DemoActionResult> {
  const label = "Build a 60-page report";
  try {
    const result = await buildReport.enqueue(60);
    return { ok: true, taskId: result.id, label, message: "Enqueued demo.buildReport(60): cancel it while it runs." };
  } catch (error) {
    return failure(label, error);
  }
}

/** `backend.cancel(id)`: a PENDING task fails at once; a RUNNING one is aborted by its worker. */
export async function cancelTask(id: string): Promise<DemoActionResult> {
  const label = "Cancel";
  try {
    const parsed = z.uuid().safeParse(id);
    if (!parsed.success) return { ok: false, label, message: "Not a task id." };
    const record = await getBackend().cancel(parsed.data);
    return {
      ok: true,
      taskId: null,
      label,
      message:
        record.status === "RUNNING"
          ? `Cancel asked for: the worker running ${id.slice(0, 8)} aborts it.`
          : `Cancelled ${id.slice(0, 8)} before it started.`,
    };
  } catch (error) {
    return failure(label, error);
  }
}

const scheduleSchema = z.object({
  a: z.coerce.number().int().min(-1_000_000).max(1_000_000),
  b: z.coerce.number().int().min(-1_000_000).max(1_000_000),
  delay: z.coerce.number().int("Delay must be whole seconds").min(0).max(3600, "Delay must be at most an hour"),
  // Its range is using()'s to check (core's priority rule), and its message to give.
  priority: z.coerce.number(),
});

/** The form: `task.using({ delay, priority }).enqueue(a, b)`. */
export async function enqueueScheduled(_previous: DemoActionResult | null, form: FormData): Promise<DemoActionResult> {
  const label = "Scheduled addition";
  const parsed = scheduleSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return {
      ok: false,
      label,
      message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    };
  }
  const { a, b, delay, priority } = parsed.data;
  try {
    const result = await add.using({ delay: { seconds: delay }, priority }).enqueue(a, b);
    return {
      ok: true,
      taskId: result.id,
      label: `${label}: ${a} + ${b}`,
      message: `Enqueued demo.add(${a}, ${b}) with priority ${priority}, due ${delay ? `in ${delay} s` : "now"}.`,
    };
  } catch (error) {
    return failure(label, error);
  }
}

/**
 * Fan-out / fan-in: five resizes, and one task that waits for all of them
 * (`using({ dependsOn })`) and gets their return values.
 */
export async function enqueueFanOutFanIn(): Promise<DemoActionResult> {
  const label = "Resize 5 images, then notify";
  try {
    const album = `album-${Date.now().toString(36)}`;
    const resizes = await resizeImage.enqueueMany(
      [1, 2, 3, 4, 5].map((i) => [`${album}-${i}.jpg`, 320] as [string, number]),
    );
    const done = await notifyAlbumReady.using({ dependsOn: resizes }).enqueue(album);
    return {
      ok: true,
      taskId: done.id,
      label,
      message: `Enqueued 5 resizes and a fan-in waiting on them (waiting on ${done.waitingOn}).`,
    };
  } catch (error) {
    return failure(label, error);
  }
}
