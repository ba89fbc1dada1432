/** The page size of `list`, clamped to 1…500 (default 50). */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined) return 50;
  return Math.min(500, Math.max(1, Math.trunc(limit)));
}
