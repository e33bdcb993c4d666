/** Third-party modules of the scripts and tests (not deployed), pinned in one place. */
export { default as postgres } from "npm:postgres@3.4.7";
export { delay, http, HttpResponse } from "npm:msw@2.15.0";
export { setupServer } from "npm:msw@2.15.0/node";
