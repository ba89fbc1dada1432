import { task } from "@errand/core";

/** Waits `ms`, or rejects with the signal's reason once it aborts (the listener goes either way). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Thrown by the flaky task: a named error class shows up as the exception class. */
export class PaymentGatewayError extends Error {
  override name = "PaymentGatewayError";
}

/** Adds two numbers after a short pause, so the dashboard shows it RUNNING. */
export const add = task({ name: "demo.add", verboseName: "Add two numbers" }, async (a: number, b: number) => {
  await sleep(800);
  return a + b;
});

/** Sent after a sign-up commits (see the demo's transaction buttons). */
export const sendWelcomeEmail = task(
  { name: "demo.sendWelcomeEmail", queueName: "email", verboseName: "Send a welcome email" },
  async (signupId: number, email: string) => {
    await sleep(500);
    return { sent: true, signupId, to: email };
  },
);

/**
 * Fails its first `failTimes` attempts, then succeeds. Retries come one second apart
 * here (the default backoff is `attempts ** 4 + 5` seconds).
 */
export const chargeCard = task(
  { name: "demo.chargeCard", takesContext: true, maxAttempts: 3, backoff: () => 1, verboseName: "Charge a card" },
  async (context, failTimes: number) => {
    await sleep(300);
    if (context.attempt <= failTimes) {
      throw new PaymentGatewayError(`The payment gateway timed out on attempt ${context.attempt}`, {
        cause: new Error("connect ETIMEDOUT 10.20.0.7:443"),
      });
    }
    return { charged: true, attempt: context.attempt };
  },
);

/** A slow task that reports its progress page by page. */
export const buildReport = task(
  { name: "demo.buildReport", queueName: "reports", takesContext: true, timeout: 300, verboseName: "Build a report" },
  async (context, pages: number) => {
    await context.setProgress(0, pages);
    for (let page = 1; page <= pages; page++) {
      await sleep(450, context.signal);
      await context.setProgress(page, pages);
    }
    return { pages, url: `/reports/${context.taskResult.id}.pdf` };
  },
);

/** Every task of the demo: the tRPC router accepts these names and no others. */
/** Enqueued by the demo's cron schedule (errand.config.ts) once a minute. */
export const heartbeat = task(
  { name: "demo.heartbeat", verboseName: "Scheduled heartbeat" },
  async (source: string) => ({
    source,
    at: new Date().toISOString(),
  }),
);

export const demoTasks = [add, sendWelcomeEmail, chargeCard, buildReport];

/** One part of the demo's fan-out: "resizes" an image. */
export const resizeImage = task(
  { name: "demo.resizeImage", queueName: "media", verboseName: "Resize an image" },
  async (image: string, width: number) => {
    await sleep(300 + Math.floor(Math.random() * 700));
    return { image, width, url: `/thumbnails/${width}/${image}` };
  },
);

/** The fan-in: runs once every resize it waits on succeeded, with their results in order. */
export const notifyAlbumReady = task(
  {
    name: "demo.notifyAlbumReady",
    queueName: "media",
    takesContext: true,
    verboseName: "Tell the user the album is ready",
  },
  async (context, album: string) => {
    const thumbnails = context.dependenciesOf(resizeImage).map((d) => d.returnValue.url);
    return { album, thumbnails };
  },
);
