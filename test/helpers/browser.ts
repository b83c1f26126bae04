import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Where browser tests save screenshots (ignored by git). */
export const screenshotsDir = join(import.meta.dirname, "../e2e/screenshots");

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotsDir, { recursive: true });
  const path = join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Debian's chromium, headless, with a new empty profile; closed and removed by `t`. */
export async function launchBrowser(t: TestContext, viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), "mesh-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's WCAG 2.x A/AA and best-practice rules on the page as it is now. The engine is evaluated through the
 * debugging protocol, so the page's CSP (no inline script) stays on.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // Strings, not functions: this project compiles without the DOM library.
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(axeSource);
  return page.evaluate<string[]>(`axe
    .run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })
    .then((r) => r.violations.map((v) => v.id + " (" + v.impact + "): " + v.nodes.map((n) => n.target.join(" ")).join(", ")))`);
}

/** True when the element's top edge lies within the viewport and it is not cut off sideways. */
export async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  const view = page.viewportSize();
  if (!box || !view) return false;
  return box.height > 0 && box.y >= 0 && box.y < view.height && box.x >= 0 && box.x + box.width <= view.width + 1;
}

/** Signs in to the review UI on `page` with a reviewer's bearer token and waits until the page names `who`. */
export async function signIn(page: Page, token: string, who: string): Promise<void> {
  await page.locator("#token").fill(token);
  await page.locator("#sign-in-form button[type=submit]").click();
  await page.locator("#who").filter({ hasText: who }).waitFor();
}
