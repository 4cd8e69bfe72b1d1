// The checks that need no node: `node clients/js/test/unit.mjs` (exit 0 when all pass).
import { Checks } from "./harness.mjs";
import { unitChecks } from "./unit-checks.mjs";

const checks = new Checks();
await unitChecks(checks);
process.exit(checks.finish());
