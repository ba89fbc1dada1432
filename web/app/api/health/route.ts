/** Liveness for process managers and the e2e web server: answers once Next is serving. */
export function GET() {
  return Response.json({ ok: true });
}

export const dynamic = "force-dynamic";
