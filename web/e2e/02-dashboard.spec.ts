import { expect, test } from "@playwright/test";
import { enqueueViaApi } from "./helpers";

test.describe("dashboard", () => {
  test("a task enqueued elsewhere appears and moves to SUCCESSFUL without a reload", async ({ page, request }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Tasks" })).toBeVisible();
    const { id } = await enqueueViaApi(request, { task: "demo.buildReport", args: [6] });
    const row = page.locator(`tr[data-task-id="${id}"]`);
    await expect(row).toBeVisible();
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", /PENDING|RUNNING/);
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "RUNNING");
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 20_000 });
    await expect(page.getByTestId("count-SUCCESSFUL")).not.toHaveText("0");
  });

  test("per queue, the lag and duration p50/p95 of the last hour", async ({ page, request }) => {
    const { id } = await enqueueViaApi(request, { task: "demo.add", args: [2, 3] });
    await page.goto("/");
    await expect(page.locator(`tr[data-task-id="${id}"] [data-status]`)).toHaveAttribute("data-status", "SUCCESSFUL", {
      timeout: 20_000,
    });
    const queue = page.getByTestId("queue-timings-default");
    await expect(queue).toBeVisible();
    for (const cell of ["lag-p50", "lag-p95", "duration-p50", "duration-p95"]) {
      await expect(queue.getByTestId(cell)).toHaveText(/^\d+(\.\d)? (ms|s|min \d+ s)$/);
    }
    await expect(queue.getByTestId("duration-count")).not.toHaveText("0");
  });

  test("cancel a pending task, then retry it, from the detail panel", async ({ page, request }) => {
    const { id } = await enqueueViaApi(request, { task: "demo.add", args: [20, 22], options: { delay: 600 } });
    await page.goto("/");
    const row = page.locator(`tr[data-task-id="${id}"]`);
    await row.getByRole("button", { name: /show details/ }).click();
    await expect(page).toHaveURL(new RegExp(`task=${id}`));
    const panel = page.locator(`article[data-task-id="${id}"]`);
    await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "PENDING");

    await panel.getByRole("button", { name: "Cancel task" }).click();
    await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "FAILED");
    await expect(panel.getByText("TaskCancelled", { exact: true })).toBeVisible();
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "FAILED");

    await panel.getByRole("button", { name: "Retry task" }).click();
    // Back to PENDING, due now: the worker picks it up and it succeeds, keeping the old error.
    await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "SUCCESSFUL", {
      timeout: 15_000,
    });
    await expect(panel.getByText("42", { exact: true })).toBeVisible();
    await expect(panel.getByRole("heading", { name: "Errors (1)" })).toBeVisible();
  });

  test("cancel a RUNNING task from the detail panel: the worker stops it", async ({ page, request }) => {
    const { id } = await enqueueViaApi(request, { task: "demo.buildReport", args: [50] });
    await page.goto(`/?task=${id}`);
    const panel = page.locator(`article[data-task-id="${id}"]`);
    await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "RUNNING", {
      timeout: 15_000,
    });
    await panel.getByRole("button", { name: "Cancel task" }).click();
    await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "FAILED", { timeout: 15_000 });
    await expect(panel.getByText("TaskCancelled", { exact: true })).toBeVisible();
    await expect(panel.getByText(/cancelled while running; its worker aborted its signal/).first()).toBeVisible();
    await expect(panel.getByRole("button", { name: "Retry task" })).toBeVisible();
  });

  test("keyboard: a row opens with Enter, focus moves into the panel, Escape closes it and returns focus", async ({
    page,
    request,
  }) => {
    const { id } = await enqueueViaApi(request, { task: "demo.add", args: [1, 1], options: { delay: 600 } });
    await page.goto("/");
    const open = page.locator(`tr[data-task-id="${id}"]`).getByRole("button", { name: /show details/ });
    await open.focus();
    await page.keyboard.press("Enter");
    const heading = page.locator(`article[data-task-id="${id}"] h2`);
    await expect(heading).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(page.locator(`article[data-task-id="${id}"]`)).toHaveCount(0);
    await expect(open).toBeFocused();
  });

  test("filters narrow the table", async ({ page, request }) => {
    const { id } = await enqueueViaApi(request, { task: "demo.chargeCard", args: [0] });
    await enqueueViaApi(request, { task: "demo.add", args: [3, 4], options: { delay: 600 } });
    await page.goto("/");
    await expect(page.locator(`tr[data-task-id="${id}"] [data-status]`)).toHaveAttribute("data-status", "SUCCESSFUL");
    await page.getByLabel("Status").selectOption("SUCCESSFUL");
    await expect(page.locator("tbody tr[data-task-id] [data-status]").first()).toBeVisible();
    await expect(page.locator('tbody tr[data-task-id] [data-status="PENDING"]')).toHaveCount(0);
    await page.getByLabel("Task name").fill("demo.chargeCard");
    await expect(page.locator("tbody tr[data-task-id]").first()).toContainText("Charge a card");
    await expect(page.locator("tbody tr[data-task-id]").filter({ hasNotText: "Charge a card" })).toHaveCount(0);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(page.getByLabel("Status")).toHaveValue("");
    await expect(page.locator('tbody tr[data-task-id] [data-status="PENDING"]').first()).toBeVisible();
  });

  test("the API refuses bad input with 400 and an unknown task name", async ({ request }) => {
    const bad = await request.post("/api/trpc/enqueue", { data: { task: "demo.add", args: ["x", 1] } });
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain("args.0");
    const unknown = await request.post("/api/trpc/enqueue", { data: { task: "os.exec", args: [] } });
    expect(unknown.status()).toBe(400);
    expect(await unknown.text()).toContain("Unknown task");
  });
});

test.describe("API access", () => {
  test("without a token only loopback hosts may call the router", async ({ request }) => {
    const local = await request.get("/api/trpc/stats");
    expect(local.status()).toBe(200);
    const remote = await request.get("/api/trpc/stats", { headers: { host: "errand.example.com" } });
    expect(remote.status()).toBe(403);
    expect(await remote.text()).toContain("Not allowed to stats");
    // A forwarded loopback host is not trusted unless ERRAND_TRUST_PROXY=1.
    const forwarded = await request.get("/api/trpc/stats", {
      headers: { host: "evil.example", "x-forwarded-host": "localhost" },
    });
    expect(forwarded.status()).toBe(403);
    // A refused caller learns nothing from its input: an unknown task is the same 403.
    const headers = { host: "evil.example" };
    const valid = await request.post("/api/trpc/enqueue", { headers, data: { task: "demo.add", args: [1, 2] } });
    const unknown = await request.post("/api/trpc/enqueue", { headers, data: { task: "os.exec", args: [] } });
    expect([valid.status(), unknown.status()]).toEqual([403, 403]);
    expect(await unknown.text()).toBe(await valid.text());
  });

  test("?token= stores the token in an HTTP-only cookie and drops it from the URL", async ({ page, context }) => {
    await page.goto("/?token=s3cret");
    await expect(page).toHaveURL(/\/$/);
    const cookie = (await context.cookies()).find((c) => c.name === "errand_token");
    expect(cookie).toMatchObject({ value: "s3cret", httpOnly: true, sameSite: "Lax" });
  });
});
