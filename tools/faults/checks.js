'use strict';
// The fault suite's verdicts: one named check per thing that must hold, printed as it is decided
// and counted for the summary and the --json file (.ci/run adds them to its totals).
class Checks {
  constructor() {
    this.list = [];
  }

  /** Records one check; `detail` says what was seen, so a failure can be acted on. */
  check(scenario, name, ok, detail = '') {
    this.list.push({ scenario, name, ok: Boolean(ok), detail });
    process.stdout.write(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}${detail ? ` (${detail})` : ''}\n`);
    return Boolean(ok);
  }

  get passed() {
    return this.list.filter((c) => c.ok).length;
  }

  get failed() {
    return this.list.filter((c) => !c.ok).length;
  }

  of(scenario) {
    const mine = this.list.filter((c) => c.scenario === scenario);
    return { passed: mine.filter((c) => c.ok).length, failed: mine.filter((c) => !c.ok).length };
  }
}

module.exports = { Checks };
