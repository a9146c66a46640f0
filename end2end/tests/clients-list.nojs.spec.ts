import { test, expect } from "@playwright/test";
import { signUp, createStrategy, createClient } from "./fixtures";

// The list's plain forms, without JavaScript.
test("the filter form leaves no empty parameter in the URL, and the bulk bar works as a plain form", async ({
  page,
}) => {
  await signUp(page.request, "Nora Nojs");
  const strategy = await createStrategy(page.request, "Plain persona");
  await createClient(page.request, { name: "Olga Offline", strategy_id: String(strategy) });
  await createClient(page.request, { name: "Otto Offline", strategy_id: String(strategy) });

  await page.goto("/clients");
  await page.getByLabel("Search").fill("olga");
  await page.getByRole("button", { name: "Apply" }).first().click();
  await expect(page).toHaveURL("/clients?q=olga");
  await expect(page.getByTestId("client-row")).toHaveCount(1);
  await page.getByLabel("Search").fill("");
  await page.getByRole("button", { name: "Apply" }).first().click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row")).toHaveCount(2);

  // An address with empty parameters is sent on to the clean one.
  const response = await page.goto("/clients?q=&status=&strategy=&sort=name");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveURL("/clients?sort=name");
  await page.goto("/pipeline?q=&strategy=");
  await expect(page).toHaveURL("/pipeline");

  // The bulk bar appears once a row is ticked (CSS alone) and shows the chosen action's inputs.
  await page.goto("/clients");
  const bar = page.getByTestId("selection-bar");
  await expect(bar).toBeHidden();
  await page.getByLabel("Select Otto Offline").check();
  await expect(bar).toBeVisible();
  await expect(bar.getByLabel("Yes, delete them")).toBeHidden();
  await bar.getByLabel("Action").selectOption("delete");
  await expect(bar.getByLabel("Stage", { exact: true })).toBeHidden();
  await bar.getByLabel("Yes, delete them").check();
  await bar.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row")).toHaveCount(1);
  await expect(page.getByTestId("client-row")).toContainText("Olga Offline");
});
