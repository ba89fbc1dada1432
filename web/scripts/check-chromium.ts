/**
 * Runs before the e2e suite: Playwright drives Debian's Chromium, never a browser it
 * downloads itself. Says what to do when it is missing instead of failing obscurely.
 */
import { existsSync } from "node:fs";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  console.error(
    [
      `Chromium was not found at ${chromium}.`,
      "Install Debian's package:  apt-get update && apt-get install -y chromium",
      "or point CHROMIUM_PATH at another Chromium or Chrome binary.",
      "(Do not run `npx playwright install`: the e2e suite uses the system browser.)",
    ].join("\n"),
  );
  process.exit(1);
}
