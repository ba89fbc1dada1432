import { afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { closeBackends, configure, getBackend, task } from "@errand/core";
import { embeddedDataDir, ensureEmbeddedPostgres, stopEmbeddedPostgres } from "@errand/embedded";
import type { DatabaseBackendLike } from "@errand/core";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), "errand-embedded-"));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

afterAll(async () => {
  await closeBackends();
  await stopEmbeddedPostgres(dir);
  // As root, a 0700 folder is out of the server user's reach, so its data lives elsewhere.
  rmSync(path.dirname(await embeddedDataDir(dir)), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe("embedded Postgres", () => {
  it("starts when no url is set, migrates, and is shared with a second process", async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      configure({ backends: { default: { backend: "database", embeddedDir: dir } } });
      const hello = task({ name: "embedded.hello" }, async (name: string) => `hi ${name}`);
      const r = await hello.enqueue("ada");
      expect(r.status).toBe("PENDING");
      const url = await (getBackend() as DatabaseBackendLike).getConnectionString();
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);

      // Another process joins the same server rather than starting a second one.
      const script = `import { ensureEmbeddedPostgres } from "@errand/embedded"; console.log(await ensureEmbeddedPostgres(${JSON.stringify(dir)}));`;
      const { stdout } = await run(
        process.execPath,
        ["--conditions=@errand/source", "--import", "tsx", "--input-type=module", "-e", script],
        {
          cwd: root,
          env: { ...process.env, DATABASE_URL: "" },
        },
      );
      expect(stdout.trim()).toBe(url);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const rows = await client.query("SELECT task_name, args FROM errand_tasks WHERE id = $1", [r.id]);
      await client.end();
      expect(rows.rows).toEqual([{ task_name: "embedded.hello", args: ["ada"] }]);
      expect(await ensureEmbeddedPostgres(dir)).toBe(url);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  }, 60_000);
});
