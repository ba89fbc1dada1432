/**
 * The tunables of the push feed's triggers (migration 0005), in one place: the triggers hold
 * them as literals (a migration is frozen in time), and core's `TaskChangeFeed` reads them
 * from here. `kysely/test/schema-literals.test.ts` checks that the checked-in schema agrees.
 *
 * @example
 * if (changes.length > MAX_LISTED_CHANGES) resync();
 */

/**
 * A statement that changed at most this many tasks lists them in one NOTIFY; a bigger one bumps
 * `errand_task_changes_seq` instead, and the feed answers with a `resync`. At 20, the payload
 * stays under Postgres's 8,000-byte limit even with 200-character task names.
 */
export const MAX_LISTED_CHANGES = 20;

/**
 * The triggers notify only while a feed's row in `errand_feed_listeners` is younger than this;
 * a feed refreshes its row well within it, so a server that died stops the notifications
 * within this time.
 */
export const FEED_LISTENER_EXPIRY_SECONDS = 30;
