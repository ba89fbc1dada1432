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

  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 1280, height: 880 });
  const dark = testInfo.outputPath("dashboard-dark.png");
  await page.screenshot({ path: dark });
  await testInfo.attach("dashboard, dark", { path: dark, contentType: "image/png" });

  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await expect(page.locator("tbody tr[data-task-id]").first()).toBeVisible();
  const phoneList = testInfo.outputPath("dashboard-phone-list.png");
  await page.screenshot({ path: phoneList, fullPage: true });
  await testInfo.attach("dashboard list at phone width", { path: phoneList, contentType: "image/png" });
  // Nothing may be wider than the phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  await page.goto("/demo");
  await page.getByRole("button", { name: "Build a report" }).click();
  await expect(page.getByTestId("tracked-task").first().getByRole("progressbar")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const demo = testInfo.outputPath("demo-phone.png");
  await page.screenshot({ path: demo, fullPage: true });
  await testInfo.attach("demo at phone width", { path: demo, contentType: "image/png" });

  if (process.env.ERRAND_UPDATE_SCREENSHOTS === "1") {
    const docs = fileURLToPath(new URL("../docs", import.meta.url));
    await mkdir(docs, { recursive: true });
    await copyFile(dashboard, path.join(docs, "dashboard.png"));
  }
});
