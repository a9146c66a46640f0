import { test, expect, openHydrated, uniqueEmail } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

import type { Browser, Page } from "@playwright/test";

/** Collects console errors and hydration warnings of `page` into `problems`. */
function watch(page: Page, problems: string[]) {
  page.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) problems.push(message.text());
  });
}

/**
 * A lead starts a conversation on the owner's public chat (`page`), and the owner opens it in a
 * browser of their own and switches its AI to `mode`. Returns the lead's messages and the owner's page.
 */
async function leadAndOwner(
  page: Page,
  browser: Browser,
  owner: { email: string; pagePath: string },
  lead: string,
  first: string,
  mode: string,
  problems: string[],
) {
  watch(page, problems);
  await openHydrated(page, owner.pagePath.replace("/book/", "/talk/"));
  await page.getByLabel("Your name").fill(lead);
  await page.getByLabel("Email").fill(uniqueEmail(lead.split(" ")[0].toLowerCase()));
  await page.getByLabel("Your message").fill(first);
  await page.getByRole("button", { name: "Start the conversation" }).click();
  const seen = page.getByTestId("talk-message");
  await expect(seen).toHaveCount(1);

  const agent = await ownerPage(browser, owner.email);
  watch(agent, problems);
  await openHydrated(agent, "/chat");
  await agent.getByTestId("inbox-item").filter({ hasText: lead }).getByRole("link").click();
  await expect(agent.getByTestId("thread-message")).toHaveCount(1);
  const choice = agent.getByTestId("ai-mode").getByRole("button", { name: mode });
  await choice.click();
  await expect(choice).toHaveAttribute("aria-pressed", "true");
  return { seen, agent };
}

// The AI persona live, with the built-in offline responder: the owner lets the AI answer a lead's
// conversation; the lead, on the public chat, gets its answers without reloading, chooses one of
// the free times it offers, and the booking is made; the owner's thread shows it all. The owner's
// own answer then pauses the AI until they resume it.
test("the AI persona answers a lead live and books the time they choose", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const problems: string[] = [];
  const lead = `Ada Lead ${Date.now() % 100000}`;
  const { seen, agent } = await leadAndOwner(page, browser, owner, lead, "Hi! Can we talk this week?", "AI answers", problems);
  const card = agent.getByTestId("chat-client-card");
  await expect(agent.getByTestId("chat-card-bookings")).toHaveText("None coming up");

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
  // The client's card beside the thread follows: the stage and the booking, without a reload.
  await expect(card.locator(".badge")).toHaveText("Booked");
  await expect(agent.getByTestId("chat-card-bookings").getByRole("link")).toHaveCount(1);

  // The owner answers: the AI pauses for the strategy's takeover time, until the owner wakes it,
  // and then it answers the lead's last word.
  await agent.getByRole("textbox", { name: "Message" }).fill("Olga here, looking forward to it!");
  await agent.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(6);
  const paused = agent.getByTestId("ai-paused");
  await expect(paused).toContainText("The AI is paused until");
  await page.getByRole("textbox", { name: "Message" }).fill("Great, thank you!");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(agent.getByTestId("thread-message")).toHaveCount(7);
  await expect(paused).toBeVisible();
  await paused.getByRole("button", { name: "Resume the AI now" }).click();
  await expect(paused).toHaveCount(0);
  await expect(seen).toHaveCount(8);
  await expect(agent.getByTestId("thread-message")).toHaveCount(8);
  await agent.context().close();
  expect(problems).toEqual([]);
});

// "AI suggests": the AI drafts each answer for the owner, who sends it as is or edits it first;
// the lead sees only what the owner sends.
test("in suggest mode the owner sends or edits the AI's draft", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const problems: string[] = [];
  const lead = `Sue Lead ${Date.now() % 100000}`;
  const { seen, agent } = await leadAndOwner(page, browser, owner, lead, "Hi! I would like a demo.", "AI suggests", problems);

  await page.getByRole("textbox", { name: "Message" }).fill("Are you there?");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  const draft = agent.getByTestId("ai-draft");
  await expect(draft).toContainText("Would one of these times work for a call?");
  await expect(seen).toHaveCount(2);
  await draft.getByRole("button", { name: "Send as is" }).click();
  await expect(seen).toHaveCount(3);
  await expect(seen.nth(2)).toContainText("Would one of these times work for a call?");
  await expect(draft).toHaveCount(0);

  await page.getByRole("textbox", { name: "Message" }).fill("None of these, sorry");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(draft).toBeVisible();
  await draft.getByRole("link", { name: "Edit" }).click();
  const composer = agent.getByRole("textbox", { name: "Message" });
  await expect(composer).toHaveValue(/\S/);
  await expect(composer).toBeFocused();
  await composer.fill("No problem! I'll send you a few more times by email today.");
  await composer.press("Enter");
  await expect(seen).toHaveCount(5);
  await expect(seen.nth(4)).toContainText("I'll send you a few more times by email today.");
  await expect(draft).toHaveCount(0);
  await agent.context().close();
  expect(problems).toEqual([]);
});

// When its stream opens, the thread reads the conversation again (for what changed before the
// stream was there). A draft the AI makes while that read is on its way is newer than the read's
// answer, which must not wipe it: the read is held here until the draft is shown.
test("a draft made while the thread reads the conversation again stays", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const problems: string[] = [];
  const lead = `Dee Lead ${Date.now() % 100000}`;
  const { seen, agent: first } = await leadAndOwner(page, browser, owner, lead, "Hi! I would like a demo.", "AI suggests", problems);
  // A tab of its own, so that a read the first tab still has under way is not the one held.
  const thread = first.url();
  const agent = await first.context().newPage();
  watch(agent, problems);
  await first.close();

  let fetched!: () => void;
  const readOnTheServer = new Promise<void>((resolve) => (fetched = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reads = 0;
  await agent.route(
    (url) => url.pathname === "/api/load_thread",
    async (route) => {
      reads += 1;
      if (reads > 1) return route.continue();
      const response = await route.fetch();
      fetched();
      await released;
      await route.fulfill({ response });
    },
  );
  await openHydrated(agent, thread);
  await readOnTheServer;

  await page.getByRole("textbox", { name: "Message" }).fill("Are you there?");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  const draft = agent.getByTestId("ai-draft");
  await expect(draft).toContainText("Would one of these times work for a call?");
  const answered = agent.waitForResponse((response) => new URL(response.url()).pathname === "/api/load_thread");
  release();
  await answered;
  await draft.getByRole("button", { name: "Send as is" }).click();
  await expect(seen).toHaveCount(3);
  await expect(seen.nth(2)).toContainText("Would one of these times work for a call?");
  await expect(draft).toHaveCount(0);
  await agent.context().close();
  expect(problems).toEqual([]);
});

// A hand-off reaches the owner on whatever page they are: a toast names the lead and the reason,
// and its link opens the conversation, which waits for them.
test("the owner hears of a hand-off on another page and opens the conversation from it", async ({
  page,
  browser,
  request,
}) => {
  const owner = await bookingOwner(request);
  const problems: string[] = [];
  const lead = `Hal Lead ${Date.now() % 100000}`;
  const { seen, agent } = await leadAndOwner(page, browser, owner, lead, "Hi! Can we talk this week?", "AI answers", problems);
  await openHydrated(agent, "/clients");

  await page.getByRole("textbox", { name: "Message" }).fill("Hello again, are you there?");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(3);
  await page.getByRole("textbox", { name: "Message" }).fill("None of these, sorry");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(5);

  const toast = agent.locator('.toast[data-kind="notice"]');
  await expect(toast).toHaveCount(1);
  await expect(toast).toContainText(`The AI handed ${lead} to you: The lead wants a time that was not offered.`);
  await toast.getByRole("link", { name: "Open the conversation" }).click();
  await expect(agent).toHaveURL(/\/chat\/\d+$/);
  await expect(agent.getByRole("heading", { level: 1 })).toContainText(lead);
  await expect(agent.getByTestId("conversation-state")).toHaveText("Waiting for a reply");
  await expect(toast).toHaveCount(0);
  await agent.context().close();
  expect(problems).toEqual([]);
});
