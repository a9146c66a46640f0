import { test, expect, openHydrated, signUp, createStrategy, createClient } from "./fixtures";
import type { Page } from "@playwright/test";

test.use({ viewport: { width: 1280, height: 800 } });

const stage = (page: Page, status: string) => page.locator(`[data-status="${status}"]`);
const saved = (page: Page) => page.waitForResponse((response) => response.url().endsWith("/api/move_client"));

/** Whether `status`'s column lies wholly inside the board's visible part. */
async function columnInView(page: Page, status: string) {
  return page.evaluate((status) => {
    const board = document.querySelector("[data-testid=pipeline-board]")!.getBoundingClientRect();
    const column = document.querySelector(`[data-status="${status}"]`)!.getBoundingClientRect();
    return column.left >= board.left - 1 && column.right <= board.right + 1;
  }, status);
}

test("at 1280 px a card is dragged to the Lost column: the board scrolls when the card nears its edge", async ({
  page,
}) => {
  await signUp(page.request, "Dora Drag");
  const strategy = await createStrategy(page.request, "Drag persona");
  await createClient(page.request, { name: "Lena Lost", strategy_id: String(strategy) });
  await openHydrated(page, "/pipeline");
  expect(await columnInView(page, "lost"), "Lost starts out of view at this width").toBe(false);

  const card = stage(page, "lead").getByTestId("pipeline-card");
  const from = (await card.boundingBox())!;
  const board = (await page.getByTestId("pipeline-board").boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + 12);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 20, from.y + 20, { steps: 4 });
  // Rest near the board's right edge until the Lost column has come into view.
  const edgeX = board.x + board.width - 12;
  const y = board.y + 120;
  for (let moves = 0; moves < 200 && !(await columnInView(page, "lost")); moves++) {
    await page.mouse.move(edgeX - (moves % 2), y);
    await page.waitForTimeout(20);
  }
  expect(await columnInView(page, "lost")).toBe(true);
  const lost = (await stage(page, "lost").boundingBox())!;
  const move = saved(page);
  await page.mouse.move(lost.x + lost.width / 2, y, { steps: 4 });
  await page.mouse.up();
  await expect(stage(page, "lost").getByTestId("pipeline-card")).toContainText("Lena Lost");
  expect((await move).status()).toBe(200);
  await page.reload();
  await expect(stage(page, "lost").getByTestId("pipeline-card")).toContainText("Lena Lost");
});

test("the Move menu works from the keyboard: arrows, Escape, and Enter to reach Lost at 1280 px", async ({ page }) => {
  await signUp(page.request, "Kim Keys");
  const strategy = await createStrategy(page.request, "Keyboard persona");
  await createClient(page.request, { name: "Keyboard Kim", strategy_id: String(strategy) });
  await openHydrated(page, "/pipeline");
  // No select or Move button on the card itself any more: one small button that opens a menu.
  const card = stage(page, "lead").getByTestId("pipeline-card");
  await expect(card.locator("select")).toHaveCount(0);
  const button = card.getByRole("button", { name: "Move Keyboard Kim" });
  const menu = page.getByRole("menu", { name: "Move Keyboard Kim to" });
  await expect(menu).toBeHidden();

  await button.focus();
  await page.keyboard.press("Enter");
  await expect(menu).toBeVisible();
  const items = menu.getByRole("menuitem");
  await expect(items).toHaveText(["Contacted", "Qualified", "Booked", "Won", "Lost"]);
  await expect(items.first()).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(items.nth(1)).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await expect(items.last()).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(button).toBeFocused();

  await page.keyboard.press("Enter");
  await expect(items.first()).toBeFocused();
  await page.keyboard.press("End");
  await expect(menu.getByRole("menuitem", { name: "Lost" })).toBeFocused();
  const move = saved(page);
  await page.keyboard.press("Enter");
  expect((await move).status()).toBe(200);
  const moved = stage(page, "lost").getByTestId("pipeline-card");
  await expect(moved).toContainText("Keyboard Kim");
  await expect(page.getByTestId("pipeline-message")).toHaveText("Moved Keyboard Kim to Lost.");
  // The focus follows the card, which the board scrolls into view.
  await expect(moved.getByRole("button", { name: "Move Keyboard Kim" })).toBeFocused();
  await expect(moved).toBeInViewport();
  await page.reload();
  await expect(stage(page, "lost").getByTestId("pipeline-card")).toContainText("Keyboard Kim");
});

test("the board fits the window, and a column scrolls on its own and shows more cards", async ({ page }) => {
  await signUp(page.request, "Molly More");
  const strategy = await createStrategy(page.request, "Many persona");
  for (let n = 0; n < 31; n++) {
    await createClient(page.request, { name: `Lead ${String(n).padStart(2, "0")}`, strategy_id: String(strategy) });
  }
  await createClient(page.request, {
    name: "Bartholomew Alexander Fitzgeraldson Montgomery the Third",
    strategy_id: String(strategy),
  });
  await openHydrated(page, "/pipeline");
  const lead = stage(page, "lead");
  await expect(lead.getByTestId("pipeline-card")).toHaveCount(25);
  await expect(lead.getByTestId("stage-total")).toHaveText("32");

  // The page does not scroll: the board ends inside the window and the column scrolls instead.
  const board = (await page.getByTestId("pipeline-board").boundingBox())!;
  expect(board.y + board.height).toBeLessThanOrEqual(800);
  expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(800);
  const body = lead.locator(".board-column-body");
  expect(await body.evaluate((element) => element.scrollHeight > element.clientHeight)).toBe(true);

  // A long name wraps between its words, never inside one.
  const longName = lead.getByRole("link", { name: /Bartholomew/ });
  const words = await longName.evaluate((link) => {
    const range = document.createRange();
    const text = [...link.childNodes].find((node) => node.nodeType === Node.TEXT_NODE)!;
    const tops = new Map<string, Set<number>>();
    let offset = 0;
    for (const word of link.textContent!.split(" ")) {
      const lines = new Set<number>();
      for (let i = 0; i < word.length; i++) {
        range.setStart(text, offset + i);
        range.setEnd(text, offset + i + 1);
        lines.add(Math.round(range.getBoundingClientRect().top));
      }
      tops.set(word, lines);
      offset += word.length + 1;
    }
    return [...tops.values()].map((lines) => lines.size);
  });
  expect(Math.max(...words), "no word is broken across lines").toBe(1);

  const more = lead.getByTestId("show-more");
  await more.scrollIntoViewIfNeeded();
  const loaded = page.waitForResponse((response) => response.url().endsWith("/api/load_pipeline_cards"));
  await more.click();
  expect((await loaded).status()).toBe(200);
  await expect(lead.getByTestId("pipeline-card")).toHaveCount(32);
  await expect(more).toBeHidden();
  await expect(lead.getByTestId("pipeline-card").last()).toContainText("Lead 00");
});
