import type { Locator, Page } from 'playwright-core';

/** What the user does and reads in the window, by roles and labels (what a screen reader offers too). */

export type PanelName = 'Dashboard' | 'Actions' | 'Logs' | 'Tokens' | 'People' | 'Settings';

export async function openPanel(page: Page, name: PanelName): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name }).click();
  await page
    .getByRole('heading', { level: 1, name: name === 'Dashboard' ? undefined : name })
    .first()
    .waitFor();
}

/** The level a check's badge shows (its data-level; the text says the same in words). */
export function checkBadge(page: Page, checkId: string): Locator {
  return page.getByTestId(`check-${checkId}`).locator('.badge').first();
}

export async function checkLevel(page: Page, checkId: string): Promise<string | null> {
  return checkBadge(page, checkId).getAttribute('data-level', { timeout: 5000 });
}

/** A dashboard group's one line (clicking it opens or folds the group). */
export function foldLine(page: Page, key: string): Locator {
  return page.getByTestId(`check-group-${key}`).locator('summary.fold-line');
}

export async function refresh(page: Page): Promise<void> {
  const button = page.getByRole('banner').getByRole('button', { name: /^Refresh/ });
  await button.click();
  await page.getByRole('banner').getByRole('button', { name: 'Refresh', exact: true }).waitFor();
}

/** The action's card in the Actions panel. */
export function actionCard(page: Page, title: string): Locator {
  return page.getByRole('article', { name: title, exact: true });
}

/**
 * Fills an action's form, presses Run and, for a disruptive or outage action, accepts the confirm dialog
 * (which names the effect). Returns the confirm sentence when there was one.
 */
export async function runAction(
  page: Page,
  title: string,
  fields: Record<string, string> = {},
): Promise<string | null> {
  await openPanel(page, 'Actions');
  const card = actionCard(page, title);
  for (const [label, value] of Object.entries(fields))
    await card.getByLabel(label, { exact: true }).fill(value);
  await card.getByRole('button', { name: `Run: ${title}`, exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: `${title}?` });
  const runPanel = page.getByRole('complementary', { name: title });
  await dialog.or(runPanel).first().waitFor();
  if (!(await dialog.isVisible())) return null;
  const sentence = await dialog.locator('.effect').textContent();
  await dialog.getByRole('button', { name: title, exact: true }).click();
  return sentence;
}

/** Waits for the run panel's run to end; returns its state word and outcome sentence. */
export async function runOutcome(page: Page, timeout = 60_000): Promise<{ state: string; sentence: string }> {
  const panel = page.getByRole('complementary');
  const state = panel.getByTestId('run-state');
  await panel.getByTestId('run-outcome').waitFor({ timeout });
  return {
    state: (await state.textContent()) ?? '',
    sentence: (await panel.getByTestId('run-outcome').textContent()) ?? '',
  };
}

export async function closeRunPanel(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Close the run panel' }).click();
}
