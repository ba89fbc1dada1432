import { NextResponse, type NextRequest } from "next/server";
import { isHttpsRequest, TOKEN_COOKIE } from "./lib/auth";

/**
 * `/?token=<ERRAND_DASHBOARD_TOKEN>` once stores the token in an HTTP-only cookie, so the
 * dashboard's API calls carry it, then drops it from the address bar.
 */
export function proxy(request: NextRequest) {
  const token = request.nextUrl.searchParams.get("token");
  if (!token) return NextResponse.next();
  const clean = request.nextUrl.clone();
  clean.searchParams.delete("token");
  const response = NextResponse.redirect(clean);
  response.cookies.set(TOKEN_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    // Secure when a trusted proxy says the client came over HTTPS (ERRAND_TRUST_PROXY=1).
    secure: isHttpsRequest(request),
    path: "/",
    maxAge: 60 * 60 * 24 * 30,
  });
  return response;
}

export const config = { matcher: ["/", "/demo"] };
