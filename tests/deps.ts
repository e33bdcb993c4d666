/**
 * Test-only third-party modules, pinned in one place (the functions never import these).
 *
 * @module
 */
export { delay, http, HttpResponse } from "npm:msw@2.12.4";
export { setupServer } from "npm:msw@2.12.4/node";
