import { test, expect, openHydrated, signUp, signInAsAdmin, createStrategy } from "./fixtures";

test("a strategy an admin shares is read-only for the team, which can give it to clients", async ({ page, browser }) => {
  await signUp(page.request, "Olive Owner");
  const id = await createStrategy(page.request, "Team opener");

  // An admin shares it from the editor.
  const admin = await browser.newContext();
  await signInAsAdmin(admin.request);
  const adminPage = await admin.newPage();
  await openHydrated(adminPage, `/strategies/${id}`);
  await adminPage.getByRole("button", { name: "Share with the team" }).click();
  await expect(adminPage.getByTestId("strategy-sharing")).toContainText("Shared");
  await admin.close();

  // A new team member sees it marked, cannot change it, and gives it to a new client.
  const member = await browser.newContext();
  await signUp(member.request, "Nina Newcomer");
  const memberPage = await member.newPage();
  await openHydrated(memberPage, "/strategies");
  await expect(memberPage.getByTestId("strategy-row").filter({ hasText: "Team opener" })).toContainText("Shared");
  await openHydrated(memberPage, `/strategies/${id}`);
  await expect(memberPage.getByTestId("strategy-owner")).toContainText("Shared with the team by Olive Owner");
  await expect(memberPage.getByRole("button", { name: "Save strategy" })).toHaveCount(0);
  await expect(memberPage.getByLabel("Name", { exact: true })).toBeDisabled();
  await openHydrated(memberPage, "/clients/new");
  await memberPage.getByLabel("Name").fill("Day-one lead");
  await memberPage.getByLabel("Strategy").selectOption({ label: "Team opener" });
  await memberPage.getByRole("button", { name: "Add client" }).click();
  await expect(memberPage).toHaveURL("/clients");
  await expect(memberPage.getByTestId("client-row").filter({ hasText: "Day-one lead" })).toContainText("Team opener");
  await member.close();
});
