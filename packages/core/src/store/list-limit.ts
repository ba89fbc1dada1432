/** The page size of `list` when none is given (the store's and the tRPC router's). */
export const DEFAULT_LIST_LIMIT = 50;

/** The largest page `list` returns: the store clamps to it and the tRPC router refuses more. */
export const MAX_LIST_LIMIT = 500;

/**
 * The page size of `list`: `limit` clamped to 1…`MAX_LIST_LIMIT`, else `DEFAULT_LIST_LIMIT`.
 *
 * @example
 * listLimit(undefined); // 50
 * listLimit(10_000); // 500
 */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.trunc(limit)));
}
