import axe from 'axe-core';
import type { Page } from 'playwright-core';

/**
 * Runs axe-core on the page as it is now and lists each violation of impact serious or critical as
 * "<rule id> <impact>: <selectors>" (empty when the page passes). axe goes in through page.evaluate,
 * which runs outside the page's CSP: a <script> tag would be refused by `default-src 'none'`.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  // a string, not a function: the tsconfig has no DOM types, and this runs in the page
  const results = (await page.evaluate('axe.run(document)')) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} ${v.impact}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Opens every <details> (the folded inspector panel), so axe checks what is inside too. */
export async function unfoldAll(page: Page): Promise<void> {
  await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
}
