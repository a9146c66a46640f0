import { test, expect } from "@playwright/test";
import { uniqueEmail } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

// The public chat as plain HTML forms: the lead starts, is told what is missing without losing
// what they typed, and reads the owner's answer after a reload.
test("a lead starts a conversation and reads the answer without JavaScript", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const talkPath = owner.pagePath.replace("/book/", "/talk/");
  const leadName = `Nora Plain ${Date.now() % 100000}`;

  await page.goto(talkPath);
  await page.getByLabel("Your name").fill(leadName);
  await page.getByLabel("Your message").fill("Do you work </textarea><b>weekends</b>?");
  await page.getByRole("button", { name: "Start the conversation" }).click();
  await expect(page).toHaveURL(talkPath);
  await expect(page.locator("#email-error")).toContainText("Give an email or a phone number");
  await expect(page.getByLabel("Your name")).toHaveValue(leadName);
  await expect(page.getByLabel("Your message")).toHaveValue("Do you work </textarea><b>weekends</b>?");

  await page.getByLabel("Email").fill(uniqueEmail("nora"));
  await page.getByRole("button", { name: "Start the conversation" }).click();
  await expect(page).toHaveURL(talkPath);
  const seen = page.getByTestId("talk-message");
  await expect(seen).toHaveCount(1);
  await expect(seen.first().locator(".message-body")).toHaveText("Do you work </textarea><b>weekends</b>?");

  const agent = await ownerPage(browser, owner.email, false);
  await agent.goto(`/chat?q=${encodeURIComponent(leadName)}`);
  await agent.getByTestId("inbox-item").getByRole("link").click();
  await agent.getByRole("textbox", { name: "Message" }).fill("Yes, on Saturdays.");
  await agent.getByRole("button", { name: "Send" }).click();
  await expect(agent.getByTestId("thread-message")).toHaveCount(2);

  await page.reload();
  await expect(seen).toHaveCount(2);
  await expect(seen.nth(1).locator(".message-body")).toHaveText("Yes, on Saturdays.");
  await page.getByRole("textbox", { name: "Message" }).fill("Great, see you then.");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page).toHaveURL(talkPath);
  await expect(seen).toHaveCount(3);
  await agent.context().close();
});
