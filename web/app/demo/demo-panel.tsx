"use client";

import { useActionState, useState, useTransition, type ReactNode } from "react";
import {
  enqueueAdd,
  enqueueChargeCard,
  enqueueFanOutFanIn,
  enqueueReport,
  enqueueUniqueReport,
  enqueueLongReport,
  enqueueScheduled,
  signUpAndRollBack,
  signUpAndWelcome,
  type DemoActionResult,
} from "./actions";
import { LiveIndicator } from "@errand/react";
import { TrackedTask } from "./tracked-task";
import { typedClient } from "./typed-client";

/** Enqueues `demo.add` through its typed tRPC procedure, from the browser. */
async function enqueueAddTyped(): Promise<DemoActionResult> {
  const label = "Add two numbers (typed tRPC)";
  try {
    const record = await typedClient.tasks.demo.add.enqueue.mutate({ args: [20, 22] });
    return { ok: true, taskId: record.id, label, message: `Enqueued ${record.taskName} through tRPC.` };
  } catch (error) {
    return { ok: false, label, message: error instanceof Error ? error.message : String(error) };
  }
}

interface ButtonSpec {
  key: string;
  label: string;
  action: () => Promise<DemoActionResult>;
  tone?: "primary" | "plain";
}

interface Tracked {
  id: string;
  label: string;
}

/**
 * The demo's buttons (each a server action) and the tasks they enqueued, followed live.
 * `priority` is core's range, passed from the server page so this client bundle does not
 * import `@errand/core`.
 */
export function DemoPanel({ priority }: { priority: { min: number; max: number } }) {
  const [tracked, setTracked] = useState<Tracked[]>([]);
  const [notice, setNotice] = useState<DemoActionResult | null>(null);
  const [pending, startTransition] = useTransition();
  const [busy, setBusy] = useState<string | null>(null);

  function record(result: DemoActionResult) {
    setNotice(result);
    if (result.ok && result.taskId) {
      const id = result.taskId;
      setTracked((list) => [{ id, label: result.label }, ...list.filter((t) => t.id !== id)].slice(0, 12));
    }
  }

  function run(key: string, action: () => Promise<DemoActionResult>) {
    setBusy(key);
    startTransition(async () => {
      record(await action());
      setBusy(null);
    });
  }

  const [formResult, formAction, formPending] = useActionState(
    async (previous: DemoActionResult | null, form: FormData) => {
      const result = await enqueueScheduled(previous, form);
      record(result);
      return result;
    },
    null,
  );

  const button = ({ key, label, action, tone = "primary" }: ButtonSpec) => (
    <button
      type="button"
      onClick={() => run(key, action)}
      disabled={pending}
      className={
        tone === "primary"
          ? "rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
          : "rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm font-medium text-zinc-800 hover:bg-zinc-50 disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800"
      }
    >
      {busy === key ? "Enqueueing…" : label}
    </button>
  );

  return (
    <div className="grid gap-6 lg:grid-cols-5">
      <div className="min-w-0 space-y-4 lg:col-span-3">
        <Card title="Enqueue from a server action" code="await add.enqueue(a, b)">
          {button({ key: "add", label: "Enqueue demo.add", action: enqueueAdd })}
        </Card>
        <Card
          title="Enqueue through a typed tRPC procedure"
          code="await trpc.tasks.demo.add.enqueue.mutate({ args: [20, 22] })"
          description="Every task the router lists is also a procedure at the path of its name; args are checked against the task's function when this page compiles."
        >
          {button({ key: "typed", label: "Enqueue demo.add via tRPC", action: enqueueAddTyped })}
        </Card>
        <Card
          title="Enqueue after COMMIT"
          code={`await transaction.atomic(db, async (trx) => {
  const row = await trx.insertInto("demo_signups")…;
  transaction.onCommit(() => sendWelcomeEmail.enqueue(row.id, email));
});`}
          description="The task row appears only once the sign-up is committed. When the transaction rolls back, its callbacks are dropped: no row, no task."
        >
          <div className="flex flex-wrap gap-2">
            {button({ key: "signup", label: "Sign up and send welcome email", action: signUpAndWelcome })}
            {button({ key: "rollback", label: "Sign up, then roll back", action: signUpAndRollBack, tone: "plain" })}
          </div>
        </Card>
        <Card
          title="A task that fails and retries"
          code="task({ name: 'demo.chargeCard', maxAttempts: 3, backoff: () => 1, takesContext: true }, …)"
          description="Each failed attempt is recorded with its traceback; the task goes back to PENDING until it runs out of attempts."
        >
          <div className="flex flex-wrap gap-2">
            {button({ key: "flaky", label: "Fail twice, then succeed", action: () => enqueueChargeCard(2) })}
            {button({ key: "fail", label: "Fail every attempt", action: () => enqueueChargeCard(99), tone: "plain" })}
          </div>
        </Card>
        <Card
          title="Fan-out, fan-in"
          code="await notifyAlbumReady.using({ dependsOn: resizes }).enqueue(album)"
          description="Five resizes run in parallel; the last one to succeed releases the notify task, which gets their return values in order (ctx.dependencies)."
        >
          {button({ key: "fanout", label: "Resize 5 images, then notify", action: enqueueFanOutFanIn })}
        </Card>
        <Card title="A slow task that reports progress" code="await context.setProgress(page, pages)">
          {button({ key: "report", label: "Build a report", action: enqueueReport })}
        </Card>
        <Card
          title="A unique key"
          code={`await buildReport.using({ uniqueKey: "report:monthly" }).enqueue(20)`}
          description="While the monthly report is PENDING or RUNNING, pressing again stores nothing and answers the same task (deduplicated)."
        >
          {button({ key: "unique", label: "Enqueue the monthly report", action: enqueueUniqueReport })}
        </Card>
        <Card
          title="Cancel a running task"
          code="await result.cancel()"
          description="The worker running it aborts the task's signal with TaskCancelled within a second; the task is FAILED and not retried. Use the Cancel button on the task below."
        >
          {button({ key: "long", label: "Build a 60-page report", action: enqueueLongReport })}
        </Card>
        <Card title="Delay and priority" code="await add.using({ delay: { seconds }, priority }).enqueue(a, b)">
          <form action={formAction} className="grid grid-cols-2 gap-3 sm:grid-cols-5 sm:items-end">
            <Field label="a" name="a" defaultValue="2" />
            <Field label="b" name="b" defaultValue="40" />
            <Field label="Delay (seconds)" name="delay" defaultValue="5" min={0} max={3600} />
            <Field label="Priority" name="priority" defaultValue="10" min={priority.min} max={priority.max} />
            <button
              type="submit"
              disabled={formPending}
              className="col-span-2 h-9 rounded-md bg-indigo-600 px-3 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60 sm:col-span-1"
            >
              {formPending ? "Enqueueing…" : "Schedule"}
            </button>
          </form>
          {formResult && !formResult.ok ? (
            <p role="alert" className="mt-2 text-sm text-rose-600 dark:text-rose-400">
              {formResult.message}
            </p>
          ) : null}
        </Card>
      </div>

      <section aria-labelledby="followed-heading" className="min-w-0 space-y-3 lg:col-span-2">
        <div className="flex items-center justify-between gap-3">
          <h2
            id="followed-heading"
            className="text-sm font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400"
          >
            Followed tasks
          </h2>
          <LiveIndicator />
        </div>
        <p
          role="status"
          data-testid="demo-notice"
          className={`min-h-[1.25rem] text-sm ${notice && !notice.ok ? "text-rose-600 dark:text-rose-400" : "text-zinc-600 dark:text-zinc-400"}`}
        >
          {notice?.message ?? ""}
        </p>
        {tracked.length ? (
          <ul className="space-y-3">
            {tracked.map((t) => (
              <TrackedTask key={t.id} id={t.id} label={t.label} />
            ))}
          </ul>
        ) : (
          <p className="rounded-xl border border-dashed border-zinc-300 p-6 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400">
            Tasks you enqueue here are followed live until they finish.
          </p>
        )}
      </section>
    </div>
  );
}

function Card({
  title,
  code,
  description,
  children,
}: {
  title: string;
  code: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <section className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <h2 className="font-medium">{title}</h2>
      {description ? <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</p> : null}
      <pre className="mt-3 overflow-x-auto rounded-lg bg-zinc-100 p-3 font-mono text-xs text-zinc-700 dark:bg-zinc-950 dark:text-zinc-300">
        {code}
      </pre>
      <div className="mt-3">{children}</div>
    </section>
  );
}

function Field({
  label,
  name,
  defaultValue,
  min,
  max,
}: {
  label: string;
  name: string;
  defaultValue: string;
  min?: number;
  max?: number;
}) {
  return (
    <label className="flex flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
      {label}
      <input
        name={name}
        type="number"
        inputMode="numeric"
        required
        step={1}
        min={min}
        max={max}
        defaultValue={defaultValue}
        className="h-9 rounded-md border border-zinc-300 bg-white px-2.5 text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
      />
    </label>
  );
}
