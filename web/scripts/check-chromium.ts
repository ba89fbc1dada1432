/**
 * Runs before the e2e suite: Playwright drives Debian's Chromium, never a browser it
 * downloads itself. When it is missing and we may install packages (root, with apt-get),
 * installs Debian's `chromium`; otherwise says what to do instead of failing obscurely.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const canInstall = !process.env.CHROMIUM_PATH && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");

if (!existsSync(chromium) && canInstall) {
  console.log("Chromium is missing: installing Debian's chromium package (apt-get) for the browser tests…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-q"],
    ["install", "-y", "-q", "chromium"],
  ]) {
    const run = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (run.status !== 0) break;
  }
}

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
