// Drives the running app in Chromium: the button calls the server action, the task reaches
// SUCCESSFUL on the page (the hook and the dashboard), and the shipped CSS styles the badge.
// Usage: node e2e.mjs <url> <screenshot.png>
/* global getComputedStyle -- runs in the page */
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
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (m) => m.type() === "error" && console.error(`[browser console] ${m.text()}`));
  await page.goto(url);
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 20_000 });
  // The dashboard rendered (it fetches stats and the list through the mounted router).
  await page.locator("[data-errand]").first().waitFor({ timeout: 20_000 });
  // The push stream (`watch` over SSE through the route handler) is connected.
  await page.locator('[data-testid="live-indicator"][data-live-mode="live"]').first().waitFor({ timeout: 20_000 });

  await page.getByRole("button", { name: "Sign up" }).click();
  const last = page.getByTestId("last-task");
  await last.locator('[data-status="SUCCESSFUL"]').waitFor({ timeout: 30_000 });
  const id = await last.getAttribute("data-task-id");
  assert.match(id ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(await page.getByTestId("return-value").textContent(), "ada@example.com");

  // The dashboard's table shows the same task as SUCCESSFUL.
  const badge = page.locator(`tr[data-task-id="${id}"] [data-status]`).first();
  await page.locator(`tr[data-task-id="${id}"] [data-status="SUCCESSFUL"]`).waitFor({ timeout: 20_000 });

  // Styled by @errand/react/styles.css alone (this app has no Tailwind).
  const style = await badge.evaluate((el) => {
    const s = getComputedStyle(el);
    return { backgroundColor: s.backgroundColor, display: s.display, borderRadius: s.borderTopLeftRadius };
  });
  assert.ok(
    !["transparent", "rgba(0, 0, 0, 0)", ""].includes(style.backgroundColor),
    `badge background is ${style.backgroundColor}: styles.css did not apply`,
  );
  // inline-flex, blockified to flex inside a flex cell; an unstyled span is "inline".
  assert.ok(
    ["inline-flex", "flex"].includes(style.display),
    `badge display is ${style.display}: styles.css did not apply`,
  );
  assert.ok(parseFloat(style.borderRadius) > 0, `badge border radius is ${style.borderRadius}`);

  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(pageErrors, [], `errors on the page: ${pageErrors.join("\n")}`);
  console.log(`SCENARIO_RESULT ${JSON.stringify({ id, style })}`);
} finally {
  await browser.close();
}
