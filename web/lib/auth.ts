/**
 * Who may use the dashboard API. Kept deliberately small; swap in your session check.
 *
 * - `ERRAND_DASHBOARD_TOKEN` set: a request must carry `Authorization: Bearer <token>` or
 *   the cookie `errand_token=<token>` (open `/?token=<token>` once to set it).
 * - unset (development, the demo): requests to a loopback host (localhost, 127.0.0.1, ::1)
 *   are allowed, anything else is refused. The Host header is the client's word, so this
 *   is a convenience, not a defence: the app command listens on 127.0.0.1 unless told
 *   otherwise, and anything reachable from elsewhere should set the token.
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
  return { via: isLoopbackRequest(request) ? "local" : null };
}

/** The host the client asked for (through a proxy, the one it forwarded) is a loopback name. */
function isLoopbackRequest(request: Request): boolean {
  const forwardedFor = request.headers.get("x-forwarded-for");
  if (forwardedFor && forwardedFor.split(",").some((ip) => !LOOPBACK.has(ip.trim()))) return false;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host") ?? new URL(request.url).host;
  const hostname = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return LOOPBACK.has(hostname);
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
