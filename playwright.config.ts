import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end tests of the web app in Debian's Chromium (`apt-get install chromium`), never a
 * browser downloaded by Playwright. The web server is the production build plus a worker,
 * against a database created fresh for the run (see web/scripts/errand-app.ts).
 */
const port = Number(process.env.E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// A separate port and database let two checkouts run their e2e suites at the same time.
const database = process.env.E2E_DATABASE ?? "errand_e2e";

export default defineConfig({
  testDir: "web/e2e",
  outputDir: "test-results",
  // The tests share one queue and one worker; running them one at a time keeps them honest.
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"], ["json", { outputFile: "test-results/e2e-report.json" }]] : "list",
  use: {
    baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "desktop", use: { ...devices["Desktop Chrome"], viewport: { width: 1366, height: 900 } } }],
  webServer: {
    command: `npx tsx --conditions=@errand/source web/scripts/errand-app.ts start --port ${port} --fresh-database ${database}`,
    url: `${baseURL}/api/health`,
    // Includes `next build` on a fresh clone (20–90 s on two busy cores).
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
