// Which backend a worker accepts: only a database backend can be claimed from.
import { afterAll, describe, expect, it } from "vitest";
import { configure, InvalidTaskBackend } from "@errand/core";
import { databaseBackend } from "../src/worker-parts";

configure({
  backends: {
    default: { backend: "database", url: "postgres://postgres@127.0.0.1:5432/postgres", migrate: false },
    inline: { backend: "immediate" },
    fake: { backend: "dummy" },
  },
});

afterAll(() => {
  // Closes the backends made above.
  configure({ backends: {} });
});

describe("databaseBackend", () => {
  it("returns the database backend of the alias", () => {
    expect(databaseBackend("default").kind).toBe("database");
  });

  it("refuses an immediate or dummy backend, naming it and the --backend option", () => {
    for (const [alias, kind] of [
      ["inline", "immediate"],
      ["fake", "dummy"],
    ]) {
      const refused = () => databaseBackend(alias!);
      expect(refused).toThrow(InvalidTaskBackend);
      expect(refused).toThrow(
        `Backend "${alias}" is a ${kind} backend; a worker needs a database backend (--backend).`,
      );
    }
  });

  it("refuses an alias nobody configured", () => {
    expect(() => databaseBackend("missing")).toThrow(InvalidTaskBackend);
  });
});
