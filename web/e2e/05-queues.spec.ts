import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { enqueueViaApi } from "./helpers";

/** One task's record through the app's tRPC `getResult`. */
async function getResult(
  request: APIRequestContext,
  id: string,
): Promise<{ status: string; attempts: number; errors: { exceptionClass: string }[] }> {
  const input = encodeURIComponent(JSON.stringify({ id }));
  const response = await request.get(`/api/trpc/getResult?input=${input}`);
  if (!response.ok()) throw new Error(`getResult failed: ${response.status()} ${await response.text()}`);
  return ((await response.json()) as { result: { data: { status: string; attempts: number; errors: [] } } }).result
    .data;
}

async function setQueuePaused(request: APIRequestContext, name: string, paused: boolean): Promise<void> {
  const response = await request.post(`/api/trpc/${paused ? "pauseQueue" : "resumeQueue"}`, { data: { name } });
  if (!response.ok()) throw new Error(`pause/resume failed: ${response.status()} ${await response.text()}`);
}

/** Filters the dashboard's task list by status and task name, as a user would. */
async function filterTasks(page: Page, status: string, taskName: string): Promise<void> {
  const search = page.getByRole("search");
  await search.getByLabel("Status").selectOption(status);
  await search.getByLabel("Task name").fill(taskName);
}

const statusOf = (page: Page, id: string) => page.locator(`tr[data-task-id="${id}"] [data-status]`);

test.describe("queues panel and bulk actions", () => {
  // Whatever a test did, no queue stays paused for the next one.
  test.afterEach(async ({ request }) => {
    await setQueuePaused(request, "email", false);
  });

  test("shows the demo queue's concurrency and rate limits", async ({ page }) => {
    await page.goto("/");
    const panel = page.getByRole("region", { name: "Queues" });
    await expect(panel).toBeVisible();
    const email = panel.locator('tr[data-queue="email"]');
    await expect(email.getByTestId("queue-running")).toHaveText(/^\d+ \/ 2 allowed at once$/);
    await expect(email.getByTestId("queue-rate-limit")).toHaveText("60 / min");
    await expect(email.getByRole("button", { name: "Pause queue email" })).toBeVisible();
  });

  test("pause shows the badge and holds a new task PENDING while others run; resume lets it run", async ({
    page,
    request,
  }) => {
    await page.goto("/");
    const email = page.getByRole("region", { name: "Queues" }).locator('tr[data-queue="email"]');
    await email.getByRole("button", { name: "Pause queue email" }).click();
    await expect(email.getByText("Paused", { exact: true })).toBeVisible();
    await expect(email).toHaveAttribute("data-paused", "true");
    await expect(email.getByRole("button", { name: "Resume queue email" })).toBeVisible();

    const held = await enqueueViaApi(request, { task: "demo.sendWelcomeEmail", args: [7001, "held@example.com"] });
    // A task of another queue enqueued after it runs to the end: the worker is at work, and
    // still leaves the paused queue's task alone.
    const other = await enqueueViaApi(request, { task: "demo.add", args: [2, 3] });
    await expect(statusOf(page, other.id)).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 20_000 });
    await expect(statusOf(page, held.id)).toHaveAttribute("data-status", "PENDING");
    expect((await getResult(request, held.id)).status).toBe("PENDING");
    await expect(email.getByTestId("queue-pending")).not.toHaveText("0");

    await email.getByRole("button", { name: "Resume queue email" }).click();
    await expect(email.getByText("Paused", { exact: true })).toHaveCount(0);
    await expect(statusOf(page, held.id)).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 20_000 });
  });

  test('"Retry N failed" with confirmation retries the failed tasks of the filter', async ({ page, request }) => {
    // Fails all three of its attempts (one second apart), then stays FAILED.
    const failing = [
      await enqueueViaApi(request, { task: "demo.chargeCard", args: [10] }),
      await enqueueViaApi(request, { task: "demo.chargeCard", args: [11] }),
    ];
    await page.goto("/");
    await filterTasks(page, "FAILED", "demo.chargeCard");
    for (const { id } of failing) {
      await expect(statusOf(page, id)).toHaveAttribute("data-status", "FAILED", { timeout: 30_000 });
    }
    // Count only once the list shows the filter's rows alone.
    await expect(page.locator('tbody tr[data-task-id] [data-status]:not([data-status="FAILED"])')).toHaveCount(0);
    await expect(page.locator("tbody tr[data-task-id]").filter({ hasNotText: "demo.chargeCard" })).toHaveCount(0);
    const shown = await page.locator("tbody tr[data-task-id]").count();
    const retry = page.getByRole("button", { name: `Retry ${shown} failed` });
    await expect(retry).toBeVisible();
    await retry.click();

    const dialog = page.getByRole("dialog");
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(`Retry ${shown} failed tasks of task demo.chargeCard?`);
    await dialog.getByRole("button", { name: `Retry ${shown} failed` }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status").filter({ hasText: /^Retried \d+ tasks?\.$/ })).toBeVisible();

    // Each ran once more (a fourth attempt, which fails again: its errors grow to four).
    for (const { id } of failing) {
      await expect.poll(async () => (await getResult(request, id)).attempts, { timeout: 20_000 }).toBe(4);
    }
  });

  test('"Cancel N pending" with confirmation cancels the pending tasks of the filter', async ({ page, request }) => {
    const pending = [
      await enqueueViaApi(request, { task: "demo.add", args: [1, 1], options: { delay: 900 } }),
      await enqueueViaApi(request, { task: "demo.add", args: [2, 2], options: { delay: 900 } }),
      await enqueueViaApi(request, { task: "demo.add", args: [3, 3], options: { delay: 900 } }),
    ];
    await page.goto("/");
    await filterTasks(page, "PENDING", "demo.add");
    for (const { id } of pending) await expect(statusOf(page, id)).toHaveAttribute("data-status", "PENDING");
    await expect(page.locator('tbody tr[data-task-id] [data-status]:not([data-status="PENDING"])')).toHaveCount(0);
    await expect(page.locator("tbody tr[data-task-id]").filter({ hasNotText: "demo.add" })).toHaveCount(0);
    const shown = await page.locator("tbody tr[data-task-id]").count();
    await page.getByRole("button", { name: `Cancel ${shown} pending` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: `Cancel ${shown} pending` }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status").filter({ hasText: `Cancelled ${shown} task` })).toBeVisible();
    for (const { id } of pending) {
      const result = await getResult(request, id);
      expect(result.status).toBe("FAILED");
      expect(result.errors.map((e) => e.exceptionClass)).toEqual(["TaskCancelled"]);
    }
  });

  test("dismissing the dialog (its button or Escape) changes nothing", async ({ page, request }) => {
    const { id } = await enqueueViaApi(request, { task: "demo.add", args: [4, 4], options: { delay: 900 } });
    await page.goto("/");
    await filterTasks(page, "PENDING", "demo.add");
    await expect(statusOf(page, id)).toHaveAttribute("data-status", "PENDING");

    const cancel = page.getByRole("button", { name: /^Cancel \d+ pending$/ });
    await cancel.click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toBeVisible();
    // The dismissing button has focus, so Enter cannot confirm by accident.
    await expect(dialog.getByRole("button", { name: "Go back" })).toBeFocused();
    await dialog.getByRole("button", { name: "Go back" }).click();
    await expect(dialog).toBeHidden();

    await cancel.click();
    await expect(dialog).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();

    expect((await getResult(request, id)).status).toBe("PENDING");
    await expect(statusOf(page, id)).toHaveAttribute("data-status", "PENDING");
    await expect(page.getByRole("status").filter({ hasText: /Cancelled/ })).toHaveCount(0);
  });
});
