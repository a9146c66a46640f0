import { test, expect, openHydrated, uniqueEmail } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

// The AI persona live, with the built-in offline responder: the owner lets the AI answer a lead's
// conversation; the lead, on the public chat, gets its answers without reloading, chooses one of
// the free times it offers, and the booking is made; the owner's thread shows it all.
test("the AI persona answers a lead live and books the time they choose", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const talkPath = owner.pagePath.replace("/book/", "/talk/");
  const leadName = `Ada Lead ${Date.now() % 100000}`;
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) problems.push(message.text());
  });

  await openHydrated(page, talkPath);
  await page.getByLabel("Your name").fill(leadName);
  await page.getByLabel("Email").fill(uniqueEmail("ada"));
  await page.getByLabel("Your message").fill("Hi! Can we talk this week?");
  await page.getByRole("button", { name: "Start the conversation" }).click();
  const seen = page.getByTestId("talk-message");
  await expect(seen).toHaveCount(1);

  const agent = await ownerPage(browser, owner.email);
  agent.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) problems.push(message.text());
  });
  await openHydrated(agent, "/chat");
  await agent.getByTestId("inbox-item").filter({ hasText: leadName }).getByRole("link").click();
  await expect(agent.getByTestId("thread-message")).toHaveCount(1);
  const answers = agent.getByTestId("ai-mode").getByRole("button", { name: "AI answers" });
  await answers.click();
  await expect(answers).toHaveAttribute("aria-pressed", "true");

  await page.getByRole("textbox", { name: "Message" }).fill("Hello again, are you there?");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(3);
  const offer = seen.nth(2).locator(".message-body");
  await expect(offer).toContainText("Would one of these times work for a call?\n1) ");
  const first = ((await offer.textContent()) ?? "").match(/^1\) (.+)$/m)?.[1];
  expect(first, "the offer lists numbered times").toBeTruthy();

  await page.getByRole("textbox", { name: "Message" }).fill("The first one, please");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(5);
  await expect(seen.nth(4).locator(".message-body")).toContainText(`You're booked for ${first}`);
  await expect(agent.getByTestId("thread-message")).toHaveCount(5);
  await expect(agent.getByTestId("thread-message").nth(4)).toContainText(`You're booked for ${first}`);
  await agent.context().close();
  expect(problems).toEqual([]);
});
