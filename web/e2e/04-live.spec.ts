import { expect, test } from "@playwright/test";
import pg from "pg";
import { enqueueViaApi } from "./helpers";

/** The e2e run's database (see playwright.config.ts), where the web server's push feed LISTENs. */
function e2eDatabaseUrl(): string {
  const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  url.pathname = `/${process.env.E2E_DATABASE ?? "errand_e2e"}`;
  return url.toString();
}

/** Cuts the web server's LISTEN connection, as a database restart or a network fault would. */
async function killFeedConnection(): Promise<number> {
  const client = new pg.Client({ connectionString: e2eDatabaseUrl() });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'errand-feed' AND datname = current_database()",
    );
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}

test.describe("live by push", () => {
  test("with polling off, the dashboard and its detail panel follow a task by push alone", async ({
    page,
    request,
  }) => {
    await page.goto("/?poll=off");
    const indicator = page.getByTestId("live-indicator");
    await expect(indicator).toHaveAttribute("data-live-mode", "live");
    // 20 pages of 450 ms: long enough to see it RUNNING after the row and the panel load on a busy machine.
    const { id } = await enqueueViaApi(request, { task: "demo.buildReport", args: [20] });
    const row = page.locator(`tr[data-task-id="${id}"]`);
    await expect(row).toBeVisible();
    await row.click();
    const panel = page.locator(`[aria-labelledby="task-${id}-title"]`);
    const status = panel.locator("[data-status]").first();
    await expect(status).toHaveAttribute("data-status", /PENDING|RUNNING/);
    await expect(status).toHaveAttribute("data-status", "RUNNING");
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "RUNNING");
    await expect(status).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 30_000 });
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "SUCCESSFUL");
    // Nothing polled meanwhile: the stream was live throughout.
    await expect(indicator).toHaveAttribute("data-live-mode", "live");
  });

  test("with polling off, the demo follows a task and its progress by push alone", async ({ page }) => {
    await page.goto("/demo?poll=off");
    await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-live-mode", "live");
    await page.getByRole("button", { name: "Build a report" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", /PENDING|RUNNING/);
    await expect(tracked).toHaveAttribute("data-status", "RUNNING");
    const bar = tracked.getByRole("progressbar");
    await expect
      .poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 15_000 })
      .toBeGreaterThan(2);
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 20_000 });
    await expect(tracked.getByTestId("return-value")).toContainText('"pages":12');
  });

  test("when the stream is killed the pages poll, and go live again once it is back", async ({ page }) => {
    await page.goto("/demo");
    const indicator = page.getByTestId("live-indicator");
    await expect(indicator).toHaveAttribute("data-live-mode", "live");
    // The stream's reconnections fail from now on; then the server's feed connection is cut,
    // which ends the open stream.
    await page.route("**/api/trpc/watch**", (route) => route.abort());
    expect(await killFeedConnection()).toBe(1);
    await expect(indicator).toHaveAttribute("data-live-mode", "polling");
    await expect(indicator).toHaveText("Polling every 2 s");

    await page.getByRole("button", { name: "Enqueue demo.add", exact: true }).click();
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL");
    await expect(indicator).toHaveAttribute("data-live-mode", "polling");

    await page.unroute("**/api/trpc/watch**");
    await expect(indicator).toHaveAttribute("data-live-mode", "live", { timeout: 30_000 });
  });
});
