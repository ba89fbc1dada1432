import { closeBackends, ErrandError } from "@errand/core";
import { InvalidWorkerOption } from "./errors";
import { main } from "./cli/main";
import { UsageError } from "./cli/usage-error";

/** The `errand` executable (bin/errand.js imports the built file). */
async function run(): Promise<void> {
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidWorkerOption) {
      process.stderr.write(`errand: ${error.message}\nRun "errand --help" for the options.\n`);
      code = 2;
    } else if (error instanceof ErrandError) {
      process.stderr.write(`errand: ${error.message}\n`);
      code = 1;
    } else {
      process.stderr.write(`errand: ${(error as Error)?.stack ?? String(error)}\n`);
      code = 1;
    }
  }
  await closeBackends().catch(() => undefined);
  // Task modules may hold timers or sockets open; the command is done, so exit.
  process.exitCode = code;
  process.stdout.write("", () => process.exit(code));
}

await run();
