/** Third-party modules of the scripts and tests (not deployed), pinned in one place. */
export { default as postgres } from "npm:postgres@3.4.7";
