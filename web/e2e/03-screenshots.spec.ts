import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";
import { enqueueViaApi } from "./helpers";

/**
 * Screenshots of the dashboard and the detail panel, saved as test artifacts (under
 * test-results/). With ERRAND_UPDATE_SCREENSHOTS=1 the dashboard one is also copied to
 * web/docs/dashboard.png for the README.
 */
test("screenshots of the dashboard and the detail panel", async ({ page, request }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 880 });
  const { id } = await enqueueViaApi(request, { task: "demo.chargeCard", args: [99] });
  await enqueueViaApi(request, { task: "demo.buildReport", args: [30] });
  await enqueueViaApi(request, { task: "demo.add", args: [1, 2], options: { delay: 900, priority: 5 } });
  await page.goto(`/?task=${id}`);
  const panel = page.locator(`article[data-task-id="${id}"]`);
  await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "FAILED", { timeout: 30_000 });
  await expect(page.getByRole("progressbar").first()).toBeVisible();

  const dashboard = testInfo.outputPath("dashboard.png");
  await page.screenshot({ path: dashboard, fullPage: false });
  await testInfo.attach("dashboard", { path: dashboard, contentType: "image/png" });

  // Tall enough for the whole panel, tracebacks included.
  await page.setViewportSize({ width: 1280, height: 1800 });
  const detail = testInfo.outputPath("detail-panel.png");
  await panel.screenshot({ path: detail });
  await testInfo.attach("detail panel", { path: detail, contentType: "image/png" });

  await page.setViewportSize({ width: 390, height: 844 });
  const phone = testInfo.outputPath("dashboard-phone.png");
  await page.screenshot({ path: phone, fullPage: false });
  await testInfo.attach("dashboard at phone width", { path: phone, contentType: "image/png" });

  if (process.env.ERRAND_UPDATE_SCREENSHOTS === "1") {
    const docs = fileURLToPath(new URL("../docs", import.meta.url));
    await mkdir(docs, { recursive: true });
    await copyFile(dashboard, path.join(docs, "dashboard.png"));
  }
});
