import { expect, test } from "@playwright/test";
import { listTasks } from "./helpers";

test.describe("demo page", () => {
  test.beforeEach(async ({ page }) => {
    await page.goto("/demo");
    await expect(page.getByRole("heading", { name: "Demo" })).toBeVisible();
  });

  test("a task enqueued by a server action is followed until SUCCESSFUL", async ({ page }) => {
    await page.getByRole("button", { name: "Enqueue demo.add", exact: true }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(page.getByTestId("demo-notice")).toContainText("Enqueued demo.add(");
    // PENDING or RUNNING first (the task sleeps 800 ms), then SUCCESSFUL without a reload.
    await expect(tracked).toHaveAttribute("data-status", /PENDING|RUNNING/);
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL");
    await expect(tracked.getByText("Successful")).toBeVisible();
    await expect(tracked.getByTestId("return-value")).toHaveText(/^\d+$/);
  });

  test("a task enqueued through its typed tRPC procedure is followed until SUCCESSFUL", async ({ page }) => {
    await page.getByRole("button", { name: "Enqueue demo.add via tRPC" }).click();
    await expect(page.getByTestId("demo-notice")).toContainText("Enqueued demo.add through tRPC.");
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL");
    await expect(tracked.getByTestId("return-value")).toHaveText("42");
  });

  test("a task that fails every attempt shows its traceback", async ({ page }) => {
    await page.getByRole("button", { name: "Fail every attempt" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "FAILED", { timeout: 30_000 });
    await expect(tracked).toContainText("attempt 3 of 3");
    const traceback = tracked.getByTestId("traceback");
    await expect(traceback).toBeVisible();
    await expect(traceback).toContainText("PaymentGatewayError: The payment gateway timed out on attempt 3");
    await expect(traceback).toContainText("Caused by: Error: connect ETIMEDOUT");
    await expect(traceback).toContainText("demo-tasks.ts");
  });

  test("the schedules of errand.config.ts with their next runs", async ({ page }) => {
    const schedule = page.locator('[data-schedule="demo.heartbeat"]');
    await expect(schedule).toContainText("* * * * *");
    await expect(schedule).toContainText("Europe/Paris → demo.heartbeat");
    await expect(schedule).toContainText(/Next: .+ · .+ · .+/);
  });

  test("a unique key: pressing twice while the report runs answers the same task", async ({ page }) => {
    await page.getByRole("button", { name: "Enqueue the monthly report" }).click();
    await expect(page.getByTestId("demo-notice")).toContainText('with unique key "report:monthly"');
    const tracked = page.getByTestId("tracked-task").first();
    const id = await tracked.getAttribute("data-task-id");
    await page.getByRole("button", { name: "Enqueue the monthly report" }).click();
    await expect(page.getByTestId("demo-notice")).toContainText("Deduplicated");
    await expect(page.getByTestId("tracked-task")).toHaveCount(1);
    await expect(page.getByTestId("tracked-task").first()).toHaveAttribute("data-task-id", id!);
    // Cancel it so the next run of this test finds the key free.
    await tracked.getByRole("button", { name: "Cancel" }).click();
    await expect(tracked).toHaveAttribute("data-status", "FAILED", { timeout: 15_000 });
  });

  test("cancelling a running task: its worker aborts it, FAILED with TaskCancelled", async ({ page }) => {
    await page.getByRole("button", { name: "Build a 60-page report" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "RUNNING", { timeout: 15_000 });
    await tracked.getByRole("button", { name: "Cancel" }).click();
    await expect(tracked).toHaveAttribute("data-status", "FAILED", { timeout: 15_000 });
    await expect(tracked).toContainText("TaskCancelled");
    await expect(tracked).toContainText("attempt 1 of");
  });

  test("a task that fails twice retries and then succeeds", async ({ page }) => {
    await page.getByRole("button", { name: "Fail twice, then succeed" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 30_000 });
    await expect(tracked).toContainText("attempt 3 of 3");
    await expect(tracked.getByTestId("return-value")).toContainText('"charged":true');
    await expect(tracked.getByTestId("return-value")).toContainText('"attempt":3');
  });

  test("the progress bar of a slow task moves", async ({ page }) => {
    await page.getByRole("button", { name: "Build a report" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    const bar = tracked.getByRole("progressbar");
    await expect(bar).toBeVisible();
    await expect
      .poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    const early = Number(await bar.getAttribute("aria-valuenow"));
    await expect
      .poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 15_000 })
      .toBeGreaterThan(early + 2);
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 20_000 });
    await expect(tracked.getByTestId("return-value")).toContainText('"pages":12');
  });

  test("a sign-up enqueues its welcome email after COMMIT; the rolled-back one enqueues nothing", async ({
    page,
    request,
  }) => {
    await page.getByRole("button", { name: "Sign up and send welcome email" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL");
    await expect(tracked.getByTestId("return-value")).toContainText('"sent":true');

    const before = await listTasks(request, "demo.sendWelcomeEmail");
    await page.getByRole("button", { name: "Sign up, then roll back" }).click();
    await expect(page.getByTestId("demo-notice")).toHaveText("Rolled back: 0 sign-ups stored, 0 tasks enqueued.");
    // No new task to follow, and none in the queue.
    await expect(page.getByTestId("tracked-task")).toHaveCount(1);
    expect(await listTasks(request, "demo.sendWelcomeEmail")).toEqual(before);
  });

  test("the delay and priority form schedules a task for later", async ({ page }) => {
    await page.getByLabel("Delay (seconds)").fill("3");
    await page.getByLabel("Priority").fill("50");
    await page.getByRole("button", { name: "Schedule" }).click();
    await expect(page.getByTestId("demo-notice")).toContainText("with priority 50, due in 3 s");
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "PENDING");
    await page.waitForTimeout(1500);
    await expect(tracked).toHaveAttribute("data-status", "PENDING");
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 15_000 });
    await expect(tracked.getByTestId("return-value")).toHaveText("42");

    // Out of range: the form refuses to submit (and the server action would refuse it too).
    const count = await page.getByTestId("tracked-task").count();
    await page.getByLabel("Priority").fill("500");
    await page.getByRole("button", { name: "Schedule" }).click();
    expect(await page.getByLabel("Priority").evaluate((input: HTMLInputElement) => input.checkValidity())).toBe(false);
    await expect(page.getByTestId("tracked-task")).toHaveCount(count);
  });
});
