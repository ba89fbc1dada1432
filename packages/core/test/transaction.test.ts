import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql, type Transaction } from "kysely";
import type { Database } from "@errand/db";
import { closeBackends, configure, getBackend, task, transaction, type DatabaseBackendLike } from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  await sql`CREATE TABLE app_user (id serial PRIMARY KEY, email text NOT NULL)`.execute(tdb.db);
  configure({ backends: { default: { backend: "database", url: tdb.url } } });
});
afterAll(async () => {
  await closeBackends();
  await tdb?.drop();
});
beforeEach(async () => {
  await sql`TRUNCATE app_user, errand_tasks`.execute(tdb.db);
});

const welcome = task({ name: "tx.welcome" }, async (userId: number) => userId);

async function taskCount(): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM errand_tasks`.execute(tdb.db);
  return r.rows[0]!.n;
}
async function userCount(): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM app_user`.execute(tdb.db);
  return r.rows[0]!.n;
}
async function insertUser(trx: Transaction<Database>, email: string): Promise<number> {
  const r = await sql<{ id: number }>`INSERT INTO app_user (email) VALUES (${email}) RETURNING id`.execute(trx);
  return r.rows[0]!.id;
}

describe("transaction.onCommit", () => {
  it("runs callbacks only after COMMIT, in order", async () => {
    const seen: string[] = [];
    await transaction.atomic(tdb.db, async (trx) => {
      const id = await insertUser(trx, "a@x");
      void transaction.onCommit(async () => {
        // After COMMIT the row is visible from another connection.
        seen.push(`commit:${await userCount()}`);
        await welcome.enqueue(id);
      });
      void transaction.onCommit(() => seen.push("second"));
      seen.push("inside");
    });
    expect(seen).toEqual(["inside", "commit:1", "second"]);
    expect(await taskCount()).toBe(1);
  });

  it("drops callbacks when the block rolls back", async () => {
    let ran = false;
    await expect(
      transaction.atomic(tdb.db, async (trx) => {
        await insertUser(trx, "b@x");
        void transaction.onCommit(() => {
          ran = true;
        });
        throw new Error("validation failed");
      }),
    ).rejects.toThrow("validation failed");
    expect(ran).toBe(false);
    expect(await userCount()).toBe(0);
  });

  it("drops the callbacks of a rolled-back nested block and keeps the outer ones", async () => {
    const ran: string[] = [];
    await transaction.atomic(tdb.db, async (trx) => {
      await insertUser(trx, "outer@x");
      void transaction.onCommit(() => ran.push("outer"));
      await transaction
        .atomic(trx, async (inner) => {
          await insertUser(inner, "inner@x");
          void transaction.onCommit(() => ran.push("inner"));
          throw new Error("inner fails");
        })
        .catch(() => undefined);
      await transaction.atomic(trx, async () => {
        void transaction.onCommit(() => ran.push("inner-ok"));
      });
    });
    expect(ran).toEqual(["outer", "inner-ok"]);
    const emails = await sql<{ email: string }>`SELECT email FROM app_user`.execute(tdb.db);
    expect(emails.rows.map((r) => r.email)).toEqual(["outer@x"]);
  });

  it("drops a committed nested block's callbacks if the outer block rolls back", async () => {
    const ran: string[] = [];
    await transaction
      .atomic(tdb.db, async (trx) => {
        await transaction.atomic(trx, async () => {
          void transaction.onCommit(() => ran.push("inner"));
        });
        throw new Error("outer fails");
      })
      .catch(() => undefined);
    expect(ran).toEqual([]);
  });

  it("runs at once outside any block", async () => {
    let ran = false;
    await transaction.onCommit(() => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it("propagates a callback's error after commit, unless robust", async () => {
    const ran: string[] = [];
    await expect(
      transaction.atomic(tdb.db, async (trx) => {
        await insertUser(trx, "c@x");
        void transaction.onCommit(() => {
          throw new Error("callback broke");
        });
        void transaction.onCommit(() => ran.push("after-broken"));
      }),
    ).rejects.toThrow("callback broke");
    expect(await userCount()).toBe(1); // committed all the same
    expect(ran).toEqual([]);

    await transaction.atomic(tdb.db, async () => {
      void transaction.onCommit(
        () => {
          throw new Error("robust callback broke");
        },
        { robust: true },
      );
      void transaction.onCommit(() => ran.push("after-robust"));
    });
    expect(ran).toEqual(["after-robust"]);
  });
});

describe("transactional enqueue", () => {
  it("is visible only after the caller's transaction commits", async () => {
    let visibleInside = -1;
    let id = "";
    await transaction.atomic(tdb.db, async (trx) => {
      const userId = await insertUser(trx, "d@x");
      const r = await welcome.using({ transaction: trx }).enqueue(userId);
      id = r.id;
      visibleInside = await taskCount(); // another connection
    });
    expect(visibleInside).toBe(0);
    expect(await taskCount()).toBe(1);
    expect((await welcome.getResult(id)).status).toBe("PENDING");
  });

  it("disappears with a rollback", async () => {
    await tdb.db
      .transaction()
      .execute(async (trx) => {
        await welcome.using({ transaction: trx }).enqueueMany([[1], [2]]);
        throw new Error("rollback");
      })
      .catch(() => undefined);
    expect(await taskCount()).toBe(0);
  });
});

describe("a plain enqueue() inside transaction.atomic()", () => {
  it("joins the block opened on the backend's database: the row exists if and only if it commits", async () => {
    const db = await (getBackend() as DatabaseBackendLike).getDb();
    await transaction.atomic(db, async (trx) => {
      const id = await insertUser(trx, "joined@x");
      await welcome.enqueue(id);
      // Not visible from another connection before COMMIT.
      expect(await taskCount()).toBe(0);
    });
    expect(await taskCount()).toBe(1);

    await expect(
      transaction.atomic(db, async (trx) => {
        await welcome.enqueue(await insertUser(trx, "rolled@x"));
        await welcome.enqueueMany([[1], [2]]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect([await taskCount(), await userCount()]).toEqual([1, 1]);
  });

  it("inside a savepoint, is rolled back with it", async () => {
    const db = await (getBackend() as DatabaseBackendLike).getDb();
    await transaction.atomic(db, async () => {
      await welcome.enqueue(1);
      await transaction
        .atomic(db, async () => {
          await welcome.enqueue(2);
          throw new Error("inner");
        })
        .catch(() => undefined);
    });
    const rows = await tdb.db.selectFrom("errand_tasks").select("args").execute();
    expect(rows.map((r) => r.args)).toEqual([[1]]);
  });

  it("on another Kysely instance is an error that shows using({ transaction: trx }), and stores nothing", async () => {
    await expect(
      transaction.atomic(tdb.db, async () => {
        await welcome.enqueue(1);
      }),
    ).rejects.toThrow(/using\(\{ transaction: trx \}\)/);
    // The explicit form works on any instance.
    await transaction.atomic(tdb.db, async (trx) => {
      await welcome.using({ transaction: trx }).enqueue(2);
    });
    const rows = await tdb.db.selectFrom("errand_tasks").select("args").execute();
    expect(rows.map((r) => r.args)).toEqual([[2]]);
  });
});
