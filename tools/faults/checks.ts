// The fault suite's verdicts: one named check per thing that must hold, printed as it is decided
// and counted for the summary and the --json file (.ci/run adds them to its totals).
import type { Audit } from './audit';
import type { PrivateRedis } from './redis-server';

/** What every scenario is given: the suite's private Redis, a small test video and the verdicts. */
export interface ScenarioContext {
  redis: PrivateRedis;
  video: string;
  checks: Checks;
}

export interface ScenarioResult {
  scenario: string;
  cases: number;
  audit: Audit;
}

export interface Check {
  scenario: string;
  name: string;
  ok: boolean;
  detail: string;
}

export class Checks {
  readonly list: Check[] = [];

  /** Records one check; `detail` says what was seen, so a failure can be acted on. */
  check(scenario: string, name: string, ok: unknown, detail = ''): boolean {
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

  of(scenario: string): { passed: number; failed: number } {
    const mine = this.list.filter((c) => c.scenario === scenario);
    return { passed: mine.filter((c) => c.ok).length, failed: mine.filter((c) => !c.ok).length };
  }
}
