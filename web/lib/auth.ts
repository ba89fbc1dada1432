/**
 * Who may use the dashboard API. Kept deliberately small; swap in your session check.
 *
 * - `ERRAND_DASHBOARD_TOKEN` set: a request must carry `Authorization: Bearer <token>` or
 *   the cookie `errand_token=<token>` (open `/?token=<token>` once to set it).
 * - unset (development, the demo): requests to a loopback host (localhost, 127.0.0.1, ::1)
 *   are allowed, anything else is refused. The Host header is the client's word, so this
 *   is a convenience, not a defence: the app command listens on 127.0.0.1 unless told
 *   otherwise, and anything reachable from elsewhere should set the token.
 *
 * Forwarded headers: `X-Forwarded-Host` and `X-Forwarded-Proto` are anybody's to send, so
 * they are read only with `ERRAND_TRUST_PROXY=1` (the app sits behind a proxy that sets
 * them). `X-Forwarded-For` is only ever a reason to refuse: an address in it that is not a
 * loopback one means the client is elsewhere (Next.js fills it with the peer's address).
 */
export interface RequestContext {
  /** How the request was let in, or `null` when it was not. */
  via: "token" | "local" | null;
}

export const TOKEN_COOKIE = "errand_token";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1", "::ffff:127.0.0.1"]);

/** Whether the app trusts the forwarded headers of a proxy in front of it. */
export interface AuthOptions {
  /** Read `X-Forwarded-Host` / `X-Forwarded-Proto`. Default: `ERRAND_TRUST_PROXY=1`. */
  trustProxy?: boolean | undefined;
}

function trusts(options: AuthOptions | undefined): boolean {
  return options?.trustProxy ?? process.env.ERRAND_TRUST_PROXY === "1";
}

/** The first value of a forwarded header (the one the first proxy set), trimmed. */
function firstForwarded(headers: Headers, name: string): string | null {
  return headers.get(name)?.split(",")[0]?.trim() || null;
}

function cookie(header: string | null, name: string): string | null {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** Reads a request's credentials into the tRPC context. */
export function createRequestContext(request: Request, options?: AuthOptions): RequestContext {
  const expected = process.env.ERRAND_DASHBOARD_TOKEN;
  if (expected) {
    const bearer = request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? null;
    const given = bearer ?? cookie(request.headers.get("cookie"), TOKEN_COOKIE);
    return { via: given !== null && timingSafeEqual(given, expected) ? "token" : null };
  }
  return { via: isLoopbackRequest(request, options) ? "local" : null };
}

/**
 * The host the client asked for is a loopback name (behind a trusted proxy: the host it
 * forwarded) and no address it came through is elsewhere.
 */
export function isLoopbackRequest(request: Request, options?: AuthOptions): boolean {
  const forwardedFor = request.headers.get("x-forwarded-for");
  if (forwardedFor && forwardedFor.split(",").some((ip) => !LOOPBACK.has(ip.trim()))) return false;
  const forwardedHost = trusts(options) ? firstForwarded(request.headers, "x-forwarded-host") : null;
  const host = forwardedHost ?? request.headers.get("host") ?? new URL(request.url).host;
  const hostname = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return LOOPBACK.has(hostname);
}

/**
 * Whether the client's connection is HTTPS, as a trusted proxy forwarded it. Without one,
 * `false`: `next start` serves plain HTTP, and Next.js derives the URL's protocol from the
 * client's own X-Forwarded-Proto.
 */
export function isHttpsRequest(request: Request, options?: AuthOptions): boolean {
  return trusts(options) && firstForwarded(request.headers, "x-forwarded-proto") === "https";
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
