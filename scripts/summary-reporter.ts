// Prints one plain closing line ("tests: N passed, N failed, N skipped[, N files failed]") that any CI log reader understands.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): void {
    let passed = 0,
      failed = 0,
      skipped = 0,
      filesFailed = 0;
    for (const m of modules) {
      // A file that fails before or around its tests (a throwing beforeAll, an import error) fails the run too.
      if (m.state() === "failed" || m.errors().length) filesFailed++;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    const extra = (filesFailed ? `, ${filesFailed} file(s) failed` : "") + (unhandledErrors.length ? `, ${unhandledErrors.length} unhandled error(s)` : "");
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${extra}\n`);
  }
}
