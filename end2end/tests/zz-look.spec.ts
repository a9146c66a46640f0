import { test, expect, openHydrated } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

test("look at the playground", async ({ browser, request }) => {
  const owner = await bookingOwner(request);
  for (const [scheme, width] of [["light", 1280], ["dark", 1280], ["light", 390], ["dark", 390]] as const) {
    const page = await ownerPage(browser, owner.email);
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width, height: 900 });
    await openHydrated(page, "/strategies/new");
    await page.getByLabel("Name", { exact: true }).fill("Friendly closer");
    await page.getByLabel("Qualification priorities").fill("Team size");
    const playground = page.getByTestId("playground");
    const message = playground.getByLabel("Your message as the lead");
    for (const [text, count] of [["Hi, I saw your ad", 2], ["We are 12 people", 4], ["The second one please", 6]] as const) {
      await message.fill(text);
      await message.press("Enter");
      await expect(playground.getByTestId("playground-message")).toHaveCount(count);
    }
    await playground.getByText("The request an AI endpoint is sent").click();
    await playground.screenshot({ path: `/tmp/look/playground-${scheme}-${width}.png` });
    if (width === 390) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
    await page.context().close();
  }
});
