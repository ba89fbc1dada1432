import { expect, test } from "@playwright/test";

test.describe("dependencies between tasks", () => {
  test("the fan-out/fan-in button: the notify task waits for the five resizes, then gets their results", async ({
    page,
  }) => {
    await page.goto("/demo");
    await page.getByRole("button", { name: "Resize 5 images, then notify" }).click();
    await expect(page.getByTestId("demo-notice")).toContainText("Enqueued 5 resizes and a fan-in waiting on them");
    const tracked = page.getByTestId("tracked-task").first();
    await expect(tracked).toContainText("demo.notifyAlbumReady");
    await expect(tracked).toHaveAttribute("data-status", "SUCCESSFUL", { timeout: 20_000 });
    const value = JSON.parse((await tracked.getByTestId("return-value").textContent()) ?? "null") as {
      album: string;
      thumbnails: string[];
    };
    expect(value.thumbnails).toEqual([1, 2, 3, 4, 5].map((i) => `/thumbnails/320/${value.album}-${i}.jpg`));
  });

  test("the detail panel shows what a task waits on and what it unblocks, linked both ways", async ({ page }) => {
    await page.goto("/demo");
    await page.getByRole("button", { name: "Resize 5 images, then notify" }).click();
    const tracked = page.getByTestId("tracked-task").first();
    const fanInId = (await tracked.getAttribute("data-task-id"))!;

    await page.goto(`/?task=${fanInId}`);
    const panel = page.locator(`article[data-task-id="${fanInId}"]`);
    await expect(panel.getByRole("heading", { name: /^Waits on \(5\)/ })).toBeVisible();
    const waitsOn = panel.getByRole("list", { name: "Waits on" }).getByRole("link");
    await expect(waitsOn).toHaveCount(5);
    const firstId = (await waitsOn.first().textContent())!;

    await waitsOn.first().click();
    await expect(page).toHaveURL(new RegExp(`task=${firstId}`));
    const child = page.locator(`article[data-task-id="${firstId}"]`);
    await expect(child.getByRole("heading", { name: "Unblocks (1)" })).toBeVisible();
    const unblocks = child.getByRole("list", { name: "Unblocks" });
    await expect(unblocks).toContainText("demo.notifyAlbumReady");
    await unblocks.getByRole("link", { name: fanInId }).click();
    await expect(page).toHaveURL(new RegExp(`task=${fanInId}`));
    await expect(panel.locator("[data-status]").first()).toHaveAttribute("data-status", "SUCCESSFUL", {
      timeout: 20_000,
    });
    await expect(panel.getByRole("heading", { name: "Waits on (5)" })).toBeVisible();
  });
});
