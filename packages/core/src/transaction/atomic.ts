import { AsyncLocalStorage } from "node:async_hooks";
import { sql, type Kysely, type Transaction } from "kysely";
import { InvalidArgument } from "../errors";

/** A callback `onCommit` registered, with how its errors are handled. */
interface Callback {
  fn: () => unknown;
  robust: boolean;
}

/** One `atomic` block: the outermost is a transaction, the ones inside it savepoints. */
interface Block {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Transaction<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  root: Kysely<any>;
  callbacks: Callback[];
  parent: Block | null;
}

const storage = new AsyncLocalStorage<Block>();
let savepointCounter = 0;

/**
 * Runs `fn` in a transaction (Django's `atomic`). Inside another block on the same
 * database, it is a savepoint instead: an error rolls back to it and rethrows, and the
 * `onCommit` callbacks registered inside are dropped; callbacks survive only if every
 * enclosing block commits, and then run in order, after COMMIT.
 *
 * An error thrown by a non-robust callback after COMMIT propagates to the caller (the
 * data is committed; later callbacks do not run), as in Django.
 *
 * @example
 * await transaction.atomic(db, async (trx) => {
 *   const user = await trx.insertInto("user").values(v).returning("id").executeTakeFirstOrThrow();
 *   transaction.onCommit(() => sendWelcomeEmail.enqueue(user.id));
 * });
 */
export async function atomic<DB, T>(
  db: Kysely<DB> | Transaction<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const current = storage.getStore();
  if (current && (db === current.trx || db === current.root)) {
    return savepoint<T>(current, fn as never);
  }
  const callbacks: Callback[] = [];
  const result = await db.transaction().execute((trx) => {
    const block: Block = { trx, root: db, callbacks, parent: null };
    return storage.run(block, () => fn(trx));
  });
  await runCallbacks(callbacks);
  return result;
}

async function savepoint<T>(parent: Block, fn: (trx: Transaction<unknown>) => Promise<T>): Promise<T> {
  const name = sql.id(`errand_sp_${++savepointCounter}`);
  await sql`SAVEPOINT ${name}`.execute(parent.trx);
  const block: Block = { trx: parent.trx, root: parent.root, callbacks: [], parent };
  let result: T;
  try {
    result = await storage.run(block, () => fn(parent.trx));
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(parent.trx);
    throw error;
  }
  await sql`RELEASE SAVEPOINT ${name}`.execute(parent.trx);
  parent.callbacks.push(...block.callbacks);
  return result;
}

async function runCallbacks(callbacks: Callback[]): Promise<void> {
  for (const { fn, robust } of callbacks) {
    if (!robust) {
      await fn();
      continue;
    }
    try {
      await fn();
    } catch (error) {
      console.error("errand: a robust onCommit callback failed; carrying on with the next one.", error);
    }
  }
}

/**
 * Runs `fn` after the current `atomic` block's transaction commits; never if it (or the
 * savepoint it was registered in) rolls back. Outside any block, runs `fn` at once
 * (Django's autocommit rule) and resolves when it is done.
 *
 * `robust: true` logs a callback's error and carries on with the next callback instead of
 * propagating it.
 *
 * @example
 * transaction.onCommit(() => sendWelcomeEmail.enqueue(userId));
 */
export async function onCommit(fn: () => unknown, options: { robust?: boolean } = {}): Promise<void> {
  if (typeof fn !== "function") throw new InvalidArgument(`onCommit(fn): fn must be a function, got ${typeof fn}.`);
  const block = storage.getStore();
  if (block) {
    block.callbacks.push({ fn, robust: options.robust ?? false });
    return;
  }
  await runCallbacks([{ fn, robust: options.robust ?? false }]);
}

/**
 * The transaction of the `atomic` block code runs in, and the Kysely instance (or
 * transaction) the block was opened on; `undefined` outside any block. The database
 * backend enqueues into it, as Django's does.
 */
export function currentAtomicBlock():
  | { trx: Transaction<any>; root: Kysely<any> } // eslint-disable-line @typescript-eslint/no-explicit-any
  | undefined {
  const block = storage.getStore();
  return block && { trx: block.trx, root: block.root };
}

/** Whether code runs inside an `atomic` block. */
export function inAtomicBlock(): boolean {
  return storage.getStore() !== undefined;
}
