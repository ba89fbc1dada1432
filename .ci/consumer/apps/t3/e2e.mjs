// Drives the running t3-shaped app in Chromium: signed in (a session cookie), the dashboard
// is live through the nested router; the button enqueues through `tasks.enqueue` and the task
// reaches SUCCESSFUL on the page. Signed out, the nested procedures are refused.
// Usage: node e2e.mjs <url> <screenshot.png>
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
});
try {
  // Signed out: the app's protectedProcedure refuses Errand's procedures.
  const anonymous = await browser.newContext();
  const refused = await anonymous.request.get(new URL("/api/trpc/tasks.stats", url).href, { failOnStatusCode: false });
  assert.equal(refused.status(), 401, `signed out, tasks.stats answered ${refused.status()}`);
  assert.equal((await refused.json()).error.json.data.code, "UNAUTHORIZED");
  await anonymous.close();

  const context = await browser.newContext();
  await context.addCookies([{ name: "session", value: "u_ada", url }]);
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (m) => m.type() === "error" && console.error(`[browser console] ${m.text()}`));
  await page.goto(url);
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  await page.locator("[data-errand]").first().waitFor({ timeout: 20_000 });
  // `watch` streams through the nested path, with superjson.
  await page.locator('[data-testid="live-indicator"][data-live-mode="live"]').first().waitFor({ timeout: 20_000 });

  await page.getByRole("button", { name: "Resize" }).click();
  const last = page.getByTestId("last-task");
  await last.locator('[data-status="SUCCESSFUL"]').waitFor({ timeout: 30_000 });
  const id = await last.getAttribute("data-task-id");
  assert.match(id ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(await page.getByTestId("creator").textContent(), "u_ada");
  await page.locator(`tr[data-task-id="${id}"] [data-status="SUCCESSFUL"]`).waitFor({ timeout: 20_000 });

  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(pageErrors, [], `errors on the page: ${pageErrors.join("\n")}`);
  console.log(`SCENARIO_RESULT ${JSON.stringify({ id })}`);
} finally {
  await browser.close();
}
