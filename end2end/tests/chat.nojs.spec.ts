import { test, expect } from "@playwright/test";
import { signUp, createStrategy, createClient } from "./fixtures";

// The thread without JavaScript: every form is a plain post that comes back to the thread.
test("the composer, private notes and the AI mode work without JavaScript", async ({ page }) => {
  await signUp(page.request, "Plain Agent");
  const strategy = String(await createStrategy(page.request, "Plain chat persona"));
  const client = await createClient(page.request, { name: "Paula Plain", strategy_id: strategy });

  await page.goto(`/chat/${client}`);
  await expect(page.getByTestId("thread-empty")).toBeVisible();
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page).toHaveURL(`/chat/${client}`);
  await expect(page.locator("#body-error")).toHaveText("Write a message first.");

  await page.getByRole("textbox", { name: "Message" }).fill("First line\nsecond line");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page).toHaveURL(`/chat/${client}`);
  const messages = page.getByTestId("thread-message");
  await expect(messages).toHaveCount(1);
  await expect(messages.first().locator(".message-body")).toHaveText("First line\nsecond line");
  await expect(page.getByRole("textbox", { name: "Message" })).toHaveValue("");

  await page.getByRole("textbox", { name: "Message" }).fill("Only for the team");
  await page.getByTestId("private-note").check();
  await page.getByRole("button", { name: "Send" }).click();
  await expect(messages).toHaveCount(2);
  await expect(messages.nth(1)).toContainText("Private note");

  await page.getByTestId("ai-mode").getByRole("button", { name: "AI answers" }).click();
  await expect(page).toHaveURL(`/chat/${client}`);
  await expect(page.getByTestId("ai-mode").getByRole("button", { name: "AI answers" })).toHaveAttribute("aria-pressed", "true");

  await page.goto("/chat?q=Paula+Plain");
  const item = page.getByTestId("inbox-item");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText("Private note: Only for the team");
  await expect(item).toContainText("AI answers");
});
