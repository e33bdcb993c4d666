/**
 * The browser tests' driver, pinned (the same version as package.json's devDependency):
 * playwright-core runs under Deno through the npm: specifier and drives Debian's Chromium
 * (/usr/bin/chromium); it never downloads a browser.
 *
 * @module
 */
export { chromium } from "npm:playwright-core@1.65.1";
export type { BrowserContext, Page } from "npm:playwright-core@1.65.1";
