/**
 * Third-party modules of the local stack's scripts, pinned in one place (the functions never
 * import these).
 *
 * @module
 */
export { parse as parseToml } from "npm:smol-toml@1.9.1";
