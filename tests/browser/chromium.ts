/**
 * How the browser tests (and the screenshot script) start Debian's Chromium: headless, no
 * sandbox (root in a container), nothing phoning home, a fresh profile each time.
 *
 * @module
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
