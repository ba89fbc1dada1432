/**
 * Who may use the dashboard API. Kept deliberately small; swap in your session check.
 *
 * - `ERRAND_DASHBOARD_TOKEN` set: a request must carry `Authorization: Bearer <token>` or
 *   the cookie `errand_token=<token>` (open `/?token=<token>` once to set it).
 * - unset (development, the demo): requests to a loopback host (localhost, 127.0.0.1, ::1)
 *   are allowed, anything else is refused.
 */
export interface RequestContext {
  /** How the request was let in, or `null` when it was not. */
  via: "token" | "local" | null;
}

export const TOKEN_COOKIE = "errand_token";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function cookie(header: string | null, name: string): string | null {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** Reads a request's credentials into the tRPC context. */
export function createRequestContext(request: Request): RequestContext {
  const expected = process.env.ERRAND_DASHBOARD_TOKEN;
  if (expected) {
    const bearer = request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? null;
    const given = bearer ?? cookie(request.headers.get("cookie"), TOKEN_COOKIE);
    return { via: given !== null && timingSafeEqual(given, expected) ? "token" : null };
  }
  const host = new URL(request.url).hostname;
  return { via: LOOPBACK.has(host) ? "local" : null };
}

export function isAllowed(ctx: RequestContext): boolean {
  return ctx.via !== null;
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
