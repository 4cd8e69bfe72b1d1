// The checks' harness: each check is a named function that throws on failure and returns a
// line saying what it saw; every check is printed, and the process exits 0 only when every
// one passed. No retries: a check that fails once fails.

export class Checks {
  constructor() {
    this.passed = 0;
    /** @type {string[]} */
    this.failed = [];
  }

  /**
   * Runs one check and prints `ok` or `FAIL` with what it saw.
   * @param {string} name
   * @param {() => Promise<string | void> | string | void} f
   */
  async check(name, f) {
    try {
      const detail = await f();
      this.passed++;
      console.log(`ok   ${name}${detail ? `: ${detail}` : ""}`);
      return true;
    } catch (e) {
      this.failed.push(name);
      console.log(`FAIL ${name}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      return false;
    }
  }

  /** Prints the summary; the exit code (0 only when every check passed and there was one). */
  finish() {
    const total = this.passed + this.failed.length;
    console.log(`${total} checks, ${this.passed} passed, ${this.failed.length} failed`);
    for (const name of this.failed) console.log(`  failed: ${name}`);
    return total > 0 && this.failed.length === 0 ? 0 : 1;
  }
}

/**
 * Throws `message` unless `cond`.
 * @param {unknown} cond
 * @param {string} message
 * @returns {asserts cond}
 */
export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Throws unless `actual === expected`, saying both.
 * @param {unknown} actual
 * @param {unknown} expected
 * @param {string} what
 */
export function assertEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}
