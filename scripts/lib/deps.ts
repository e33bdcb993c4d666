/**
 * Third-party modules of the scripts (not deployed), pinned in one place. Test-only modules (msw)
 * live in tests/deps.ts: loading msw keeps a Deno process alive after its work, so a script that
 * imported it (npm run status) never exited.
 */
export { default as postgres, type TransactionSql } from "npm:postgres@3.4.7";
