import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { changeConcerns, type TaskChange } from "@errand/core/browser";

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src");

/** The modules `file` loads at run time (type-only imports and exports are erased), transitively. */
function runtimeGraph(file: string, seen = new Set<string>()): { modules: Set<string>; packages: Set<string> } {
  const packages = new Set<string>();
  if (seen.has(file)) return { modules: seen, packages };
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)";/gms)) {
    const target = m[1]!;
    if (!target.startsWith(".")) packages.add(target);
    else for (const p of runtimeGraph(path.resolve(path.dirname(file), `${target}.ts`), seen).packages) packages.add(p);
  }
  return { modules: seen, packages };
}

describe("@errand/core/browser", () => {
  it("loads no package and no Node built-in at run time", () => {
    const { modules, packages } = runtimeGraph(path.join(src, "browser.ts"));
    expect([...packages]).toEqual([]);
    expect(modules.size).toBeGreaterThan(1);
  });

  it("changeConcerns: a change concerns a list when it matches, or leaves the status filtered on", () => {
    const change: TaskChange = { id: "1", status: "RUNNING", previousStatus: "PENDING", queueName: "q", taskName: "t" };
    expect(changeConcerns(change, {})).toBe(true);
    expect(changeConcerns(change, { status: "RUNNING", queueName: "q", taskName: "t" })).toBe(true);
    expect(changeConcerns(change, { status: "PENDING" })).toBe(true);
    expect(changeConcerns(change, { status: "FAILED" })).toBe(false);
    expect(changeConcerns(change, { queueName: "other" })).toBe(false);
    expect(changeConcerns(change, { taskName: "other" })).toBe(false);
    expect(changeConcerns({ ...change, previousStatus: null }, { status: "PENDING" })).toBe(false);
  });
});
